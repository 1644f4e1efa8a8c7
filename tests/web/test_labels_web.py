"""The labels page: preview (page and fragment), the preview stylesheet, direct PDF
download, background jobs with HTMX progress, the production refusal, bad input, and the
admin's template form."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from growapp.jobs.redis_queue import RqQueue
from growapp.labels.templates import BUILTIN_BY_SLUG
from growapp.models import Event, Job, LabelTemplate, utcnow
from growapp.services import jobs as job_service
from growapp.services.labels import jobs as label_jobs
from growapp.services.labels.selection import BACKGROUND_OVER, LabelRequest
from growapp.services.labels.sheet_templates import ensure_label_templates
from tests.helpers import factories as f
from tests.helpers.jobs import run_jobs
from tests.helpers.pdf_scan import assert_qr_matches_code, scan_pdf

BASE = "https://growapp.example.org"


@pytest.fixture
def trial(session):
    ensure_label_templates(session)
    exp, trays, plants, recipe = f.make_running_experiment(session, plants=4, trays=2)
    exp.short_name = "T25"
    session.commit()
    return exp, trays, plants


def _url(exp, path="", **query):
    return f"/experiments/{exp.id}/labels{path}", query


def test_page_shows_form_and_first_sheet(login_as, trial):
    exp, _trays, plants = trial
    client = login_as("operator")
    resp = client.get(f"/experiments/{exp.id}/labels")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "<html" in html and "HX-Request" in resp.headers["Vary"]
    assert 'id="labels-form"' in html and 'id="labels-preview"' in html
    assert 'class="lbl-sheet"' in html and html.count('class="lbl-cell') == 30
    assert html.count("lbl-used") == 4 and "VFT-001" in html and "VFT-004" in html
    assert re.search(r'href="/experiments/\d+/labels/sheet-avery-5160\.css\?v=\w+"', html)
    assert "<strong>4</strong> labels on <strong>1</strong> sheet" in html
    assert "style=" not in html and "<script>" not in html
    assert "Make the PDF (4 labels)" in html and "Add a sheet template" not in html
    assert "/sheet.pdf" not in html  # printing goes through the job (a POST)


def test_changing_the_form_swaps_only_the_preview(login_as, trial):
    exp, _trays, _plants = trial
    client = login_as("viewer")
    resp = client.get(f"/experiments/{exp.id}/labels",
                      query_string={"submitted": "1", "template": "avery-l7651", "start": "3",
                                    "fields": ["species"]}, headers={"HX-Request": "true"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "<html" not in html
    assert html.startswith('<section id="labels-preview"') and "HX-Request" in resp.headers["Vary"]
    assert html.count('class="lbl-cell') == 65 and "starting at label 3" in html
    assert "lbl-c2 lbl-used" in html and "lbl-c1 lbl-used" not in html
    assert "sheet-avery-l7651.css" in html


def test_preview_stylesheet_positions_cells_in_container_units(login_as, trial):
    exp = trial[0]
    resp = login_as("viewer").get(f"/experiments/{exp.id}/labels/sheet-avery-5160.css")
    css = resp.get_data(as_text=True)
    assert resp.status_code == 200 and resp.mimetype == "text/css"
    assert ".lbl-tpl-avery-5160 .lbl-c29 {" in css and "cqw" in css and "mm" not in css
    assert login_as("viewer").get(
        f"/experiments/{exp.id}/labels/sheet-nope.css").status_code == 422


def test_download_now_for_any_signed_in_user_writes_nothing(login_as, session, trial):
    exp, _trays, plants = trial
    client = login_as("viewer")
    resp = client.get(f"/experiments/{exp.id}/labels/sheet.pdf",
                      query_string={"submitted": "1", "template": "avery-5160",
                                    "fields": ["species", "tray"], "copies": "2"})
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    assert resp.headers["Content-Disposition"] == \
        'attachment; filename="t25-plants-labels-avery-5160.pdf"'
    scans = scan_pdf(resp.data, BUILTIN_BY_SLUG["avery-5160"])
    assert assert_qr_matches_code(scans, {f"{BASE}/p/{p.uuid}": p.plant_code
                                          for p in plants}) == 8
    # A GET writes nothing (issue 12 item 9: on SQLite the print row locked the database
    # under load); the print is recorded by the job, below.
    printed = select(Event).where(Event.experiment_id == exp.id,
                                  Event.kind == "labels.plants_printed")
    assert session.scalar(printed) is None
    job = client.post(f"/experiments/{exp.id}/labels/jobs",
                      data={"submitted": "1", "template": "avery-5160", "copies": "2",
                            "fields": ["species", "tray"]})
    assert job.status_code == 303
    event = session.scalar(printed)
    assert event is not None and event.user_id == client.user.id


def test_job_form_in_the_preview_carries_the_choices(login_as, trial):
    exp, trays, _plants = trial
    client = login_as("operator")
    html = client.get(f"/experiments/{exp.id}/labels", query_string={
        "submitted": "1", "kind": "trays", "tray_uuid": [str(trays[1].uuid)],
        "fields": ["recipe"], "template": "thermal-50x25"}).get_data(as_text=True)
    form = re.search(r'<form method="post" action="[^"]*/labels/jobs".*?</form>', html, re.S)
    fields = re.findall(r'name="(\w+)" value="([^"]*)"', form.group(0))
    query = {}
    for name, value in fields:
        query.setdefault(name, []).append(value)
    assert query["kind"] == ["trays"] and query["tray_uuid"] == [str(trays[1].uuid)]
    query.pop("csrf_token")
    href = f"/experiments/{exp.id}/labels/sheet.pdf?" + urlencode(query, doseq=True)
    resp = client.get(href)
    assert resp.status_code == 200
    scans = scan_pdf(resp.data, BUILTIN_BY_SLUG["thermal-50x25"])
    assert [s.urls for s in scans] == [{0: f"{BASE}/t/{trays[1].uuid}"}]


@pytest.mark.parametrize("query, field, words", [
    ({"copies": "0"}, "copies", "between 1 and 10"),
    ({"start": "31"}, "start", "from 1 to 30"),
    ({"start": "x"}, "start", "from 1 to 30"),
    ({"plants": "selected"}, "plants", "Tick at least one plant"),
    ({"template": "broken"}, "template", "do not fit across the page"),
])
def test_bad_input_is_a_422_fragment_with_the_reason(login_as, session, trial, query, field,
                                                     words):
    exp = trial[0]
    session.add(LabelTemplate(slug="broken", name="Broken", page_width_mm=100,
                              page_height_mm=100, columns=3, rows=1, label_width_mm=40,
                              label_height_mm=20))
    session.commit()
    client = login_as("operator")
    resp = client.get(f"/experiments/{exp.id}/labels", query_string={"submitted": "1", **query},
                      headers={"HX-Request": "true"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "<html" not in html
    assert 'class="problem problem-422"' in html and words in html and field in html
    pdf = client.get(f"/experiments/{exp.id}/labels/sheet.pdf",
                     query_string={"submitted": "1", **query})
    assert pdf.status_code == 422 and words in pdf.get_data(as_text=True)


def test_empty_experiment_previews_example_labels_but_will_not_print(login_as, session):
    ensure_label_templates(session)
    exp = f.make_experiment(session)
    session.commit()
    client = login_as("operator")
    html = client.get(f"/experiments/{exp.id}/labels").get_data(as_text=True)
    assert "example labels" in html and "Download PDF" not in html
    resp = client.get(f"/experiments/{exp.id}/labels/sheet.pdf")
    assert resp.status_code == 422 and "no active plants" in resp.get_data(as_text=True)


def test_production_refuses_a_localhost_base_url(app, login_as, trial, monkeypatch):
    exp = trial[0]
    client = login_as("operator")
    monkeypatch.setitem(app.config, "ENV", "production")
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "http://localhost:5000")
    resp = client.get(f"/experiments/{exp.id}/labels/sheet.pdf")
    assert resp.status_code == 409
    assert "PUBLIC_BASE_URL points at this machine" in resp.get_data(as_text=True)
    frag = client.get(f"/experiments/{exp.id}/labels", headers={"HX-Request": "true"})
    assert frag.status_code == 409 and "problem-409" in frag.get_data(as_text=True)
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", None)
    resp = client.get(f"/experiments/{exp.id}/labels/sheet.pdf")
    assert resp.status_code == 409 and "is not set" in resp.get_data(as_text=True)
    tents = client.get(f"/experiments/{exp.id}/labels/sheet.pdf", query_string={"kind": "tents"})
    assert tents.status_code == 200  # no QR code on tent labels, nothing to refuse
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "http://127.0.0.1:5000")
    monkeypatch.setitem(app.config, "LABELS_ALLOW_LOCALHOST", True)
    assert client.get(f"/experiments/{exp.id}/labels/sheet.pdf").status_code == 200


def test_development_uses_the_request_host(app, client, api_token, trial, monkeypatch):
    exp, _trays, plants = trial
    _user, raw = api_token("viewer")  # a bearer token: cookies are bound to the test host
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", None)
    resp = client.get(f"/experiments/{exp.id}/labels/sheet.pdf",
                      query_string={"template": "thermal-50x25"},
                      headers={"Authorization": f"Bearer {raw}"},
                      base_url="http://10.1.2.3:8000")
    assert resp.status_code == 200
    scans = scan_pdf(resp.data, BUILTIN_BY_SLUG["thermal-50x25"])
    assert scans[0].urls[0] == f"http://10.1.2.3:8000/p/{plants[0].uuid}"


# Background jobs --------------------------------------------------------------------------

def test_large_selections_offer_a_background_job(login_as, session, trial):
    exp = trial[0]
    for i in range(BACKGROUND_OVER):
        f.make_plant(session, exp, code=f"BIG-{i:03d}")
    session.commit()
    html = login_as("operator").get(f"/experiments/{exp.id}/labels").get_data(as_text=True)
    assert "Make the PDF (104 labels)" in html and 'name="csrf_token"' in html
    assert "Download PDF" not in html
    viewer = login_as("viewer")  # printing is reading: viewers make the PDF too
    viewer_html = viewer.get(f"/experiments/{exp.id}/labels").get_data(as_text=True)
    assert "Make the PDF (104 labels)" in viewer_html
    now = viewer.get(f"/experiments/{exp.id}/labels/sheet.pdf")
    assert now.status_code == 409 and "background job" in now.get_data(as_text=True)


def test_job_with_htmx_progress_then_download(app, login_as, session, trial):
    exp, _trays, plants = trial
    client = login_as("viewer")
    resp = client.post(f"/experiments/{exp.id}/labels/jobs",
                       data={"submitted": "1", "template": "avery-l7651", "fields": "species",
                             "copies": "3"}, headers={"HX-Request": "true"})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert "<html" not in resp.get_data(as_text=True) and "Waiting" in resp.get_data(True)
    assert run_jobs(app) == ["done"]
    job = session.scalar(select(Job).where(Job.experiment_id == exp.id))
    session.refresh(job)
    assert job.status == "done" and job.done == job.total == 12
    assert job.user_id == client.user.id
    poll = client.get(f"/experiments/{exp.id}/labels/jobs/{job.uuid}",
                      headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in poll and "every 1s" not in poll and "Download PDF" in poll
    pdf = client.get(f"/experiments/{exp.id}/labels/jobs/{job.uuid}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert "t25-plants-labels-avery-l7651.pdf" in pdf.headers["Content-Disposition"]
    scans = scan_pdf(pdf.data, BUILTIN_BY_SLUG["avery-l7651"])
    assert assert_qr_matches_code(scans, {f"{BASE}/p/{p.uuid}": p.plant_code
                                          for p in plants}) == 12
    page = client.get(f"/experiments/{exp.id}/labels").get_data(as_text=True)
    assert "Your recent label PDFs" in page and "12 plant labels" in page


def test_running_job_polls_every_second(login_as, session, trial):
    exp = trial[0]
    client = login_as("operator")
    job = label_jobs.create_label_job(session, experiment_id=exp.id, request=LabelRequest(),
                               base_url=BASE, actor=client.user)
    session.commit()
    frag = client.get(f"/experiments/{exp.id}/labels/jobs/{job.uuid}",
                      headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'hx-trigger="every 1s"' in frag and "<progress" in frag and "Waiting" in frag
    page = client.get(f"/experiments/{exp.id}/labels/jobs/{job.uuid}")
    assert page.status_code == 200 and "<html" in page.get_data(as_text=True)
    early = client.get(f"/experiments/{exp.id}/labels/jobs/{job.uuid}.pdf")
    assert early.status_code == 409 and "not ready" in early.get_data(as_text=True)


def test_plain_post_redirects_to_the_job_page(app, login_as, session, trial):
    exp = trial[0]
    client = login_as("operator")
    resp = client.post(f"/experiments/{exp.id}/labels/jobs",
                       data={"template": "thermal-50x25", "tray": "TR1"})
    assert resp.status_code == 303 and "/labels/jobs/" in resp.headers["Location"]
    assert run_jobs(app) == ["done"]
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Ready." in page and "Download PDF" in page


def test_job_refusals(login_as, session, trial):
    exp = trial[0]
    operator = login_as("operator")
    bad = operator.post(f"/experiments/{exp.id}/labels/jobs", data={"copies": "0"},
                        headers={"HX-Request": "true"})
    assert bad.status_code == 422 and "between 1 and 10" in bad.get_data(as_text=True)
    assert login_as("viewer").post(f"/experiments/{exp.id}/labels/jobs",
                                   data={}).status_code == 303  # viewers may print
    assert operator.post(f"/experiments/{exp.id}/labels/jobs", data={},
                         csrf=False).status_code == 400
    job = label_jobs.create_label_job(session, experiment_id=exp.id, request=LabelRequest(),
                               base_url=BASE, actor=operator.user)
    session.commit()
    other = login_as("operator")
    assert other.get(f"/experiments/{exp.id}/labels/jobs/{job.uuid}").status_code == 404
    assert other.get(f"/experiments/{exp.id}/labels/jobs/{job.uuid}.pdf").status_code == 404
    assert session.scalar(select(Job).where(Job.status == "running")) is None


def test_anonymous_users_are_sent_to_sign_in(client, trial):
    exp = trial[0]
    for path in ("", "/sheet.pdf", "/sheet-avery-5160.css"):
        resp = client.get(f"/experiments/{exp.id}/labels{path}")
        assert resp.status_code == 302 and "/login" in resp.headers["Location"]


# Admin: sheet templates -------------------------------------------------------------------

TEMPLATE_FORM = {"name": "Herma 4201", "page_width_mm": "210", "page_height_mm": "297",
                 "columns": "4", "rows": "12", "label_width_mm": "48.5",
                 "label_height_mm": "22", "margin_top_mm": "16.5", "margin_left_mm": "8",
                 "gap_x_mm": "0", "gap_y_mm": "0"}


def test_admin_adds_a_template_and_sees_it_previewed(login_as, session, trial):
    exp = trial[0]
    admin = login_as("admin")
    page = admin.get(f"/experiments/{exp.id}/labels").get_data(as_text=True)
    assert "Add a sheet template (admin)" in page
    resp = admin.post(f"/experiments/{exp.id}/labels/templates", data=TEMPLATE_FORM)
    assert resp.status_code == 303 and "template=herma-4201" in resp.headers["Location"]
    html = admin.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Added the template Herma 4201" in html
    assert "sheet-herma-4201.css" in html and html.count('class="lbl-cell') == 48
    assert '<option value="herma-4201" selected>' in html
    css = admin.get(f"/experiments/{exp.id}/labels/sheet-herma-4201.css")
    assert css.status_code == 200 and ".lbl-tpl-herma-4201 .lbl-c47" in css.get_data(True)


def test_template_that_does_not_fit_is_refused_in_the_form(login_as, session, trial):
    exp = trial[0]
    resp = login_as("admin").post(f"/experiments/{exp.id}/labels/templates",
                                  data={**TEMPLATE_FORM, "columns": "5"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "do not fit across the page" in html
    assert "250.50 mm" in html
    assert session.scalar(select(LabelTemplate).where(LabelTemplate.slug == "herma-4201")) \
        is None


def test_only_admins_add_templates(login_as, trial):
    exp = trial[0]
    assert login_as("operator").post(f"/experiments/{exp.id}/labels/templates",
                                     data=TEMPLATE_FORM).status_code == 403


def test_an_expired_pdf_answers_gone(app, login_as, session, trial):
    exp = trial[0]
    client = login_as("operator")
    resp = client.post(f"/experiments/{exp.id}/labels/jobs", data={"template": "thermal-50x25"})
    assert resp.status_code == 303 and run_jobs(app) == ["done"]
    job = session.scalar(select(Job).where(Job.user_id == client.user.id))
    assert client.get(f"/experiments/{exp.id}/labels/jobs/{job.uuid}.pdf").status_code == 200
    job_service.expire_job_files(session, storage=app.extensions["growapp_storage"],
                                 now=utcnow() + job_service.FILE_TTL * 2)
    session.commit()
    gone = client.get(f"/experiments/{exp.id}/labels/jobs/{job.uuid}.pdf")
    assert gone.status_code == 410 and "deleted 24 hours after" in gone.get_data(as_text=True)
    card = client.get(f"/experiments/{exp.id}/labels/jobs/{job.uuid}",
                      headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "deleted 24 hours after" in card and "Download PDF" not in card


def test_job_refused_clearly_when_redis_is_down(app, login_as, session, trial, monkeypatch):
    exp = trial[0]
    monkeypatch.setitem(app.extensions, "growapp_jobs", RqQueue("redis://127.0.0.1:1/5"))
    client = login_as("operator")
    resp = client.post(f"/experiments/{exp.id}/labels/jobs", data={},
                       headers={"HX-Request": "true"})
    assert resp.status_code == 503
    assert "The job queue is not answering" in resp.get_data(as_text=True)
    assert session.scalar(select(Job).where(Job.experiment_id == exp.id)) is None
    assert session.scalar(select(Event).where(Event.experiment_id == exp.id)) is None
