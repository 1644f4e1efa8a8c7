"""GET /api/v1/experiments/{id}/labels.pdf: PDFs whose QR codes decode, and the JSON
errors of API.md (401, 404, 409 with diagnostics, 422 with field messages); label jobs:
POST …/labels/jobs → 202, GET /jobs/{id}, GET /jobs/{id}/file (410 once expired)."""

from __future__ import annotations

import pytest

from growapp.jobs.redis_queue import RqQueue
from growapp.labels.templates import BUILTIN_BY_SLUG
from growapp.models import Job, utcnow
from growapp.services import jobs as job_service
from growapp.services.labels.sheet_templates import ensure_label_templates
from tests.helpers import factories as f
from tests.helpers.jobs import run_jobs
from tests.helpers.pdf_scan import assert_qr_matches_code, scan_pdf

BASE = "https://growapp.example.org"


@pytest.fixture
def trial(session):
    ensure_label_templates(session)
    exp, trays, plants, _recipe = f.make_running_experiment(session, plants=3, trays=2)
    session.commit()
    return exp, trays, plants


@pytest.fixture
def auth(api_token):
    _user, raw = api_token("viewer")  # viewers read: printing labels is a read
    return {"Authorization": f"Bearer {raw}"}


def _get(client, exp, auth, **query):
    return client.get(f"/api/v1/experiments/{exp.id}/labels.pdf", query_string=query,
                      headers=auth)


def test_defaults_print_all_active_plants_on_avery_5160(client, trial, auth):
    exp, _trays, plants = trial
    resp = _get(client, exp, auth)
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    assert resp.headers["Content-Disposition"].startswith("attachment; filename=")
    scans = scan_pdf(resp.data, BUILTIN_BY_SLUG["avery-5160"])
    assert assert_qr_matches_code(scans, {f"{BASE}/p/{p.uuid}": p.plant_code
                                          for p in plants}) == 3


def test_the_documented_query(client, trial, auth):
    exp, _trays, plants = trial
    uuids = f"{plants[2].uuid},{plants[0].uuid}"
    resp = _get(client, exp, auth, template="avery-l7651", plants=uuids, start=5, copies=2,
                fields="species,grade")
    assert resp.status_code == 200
    scans = scan_pdf(resp.data, BUILTIN_BY_SLUG["avery-l7651"])
    url = {p.plant_code: f"{BASE}/p/{p.uuid}" for p in plants}
    assert scans[0].urls == {4: url["VFT-001"], 5: url["VFT-001"], 6: url["VFT-003"],
                             7: url["VFT-003"]}
    assert "Grade A" in scans[0].texts[4]


def test_tray_filter_trays_and_tents(client, trial, auth):
    exp, trays, plants = trial
    in_tr2 = _get(client, exp, auth, tray="TR2", template="thermal-50x25")
    assert [s.urls[0] for s in scan_pdf(in_tr2.data, BUILTIN_BY_SLUG["thermal-50x25"])] == \
        [f"{BASE}/p/{plants[1].uuid}"]
    tray_pdf = _get(client, exp, auth, trays="all")
    scans = scan_pdf(tray_pdf.data, BUILTIN_BY_SLUG["avery-5160"])
    assert assert_qr_matches_code(scans, {f"{BASE}/t/{t.uuid}": t.code for t in trays}) == 2
    tent_pdf = _get(client, exp, auth, tents="all", fields="")
    scans = scan_pdf(tent_pdf.data, BUILTIN_BY_SLUG["avery-5160"])
    assert scans[0].urls == {} and "TN1" in scans[0].texts[0]


@pytest.mark.parametrize("query, field, words", [
    ({"copies": 0}, "copies", "between 1 and 10"),
    ({"copies": 11}, "copies", "between 1 and 10"),
    ({"start": 31}, "start", "from 1 to 30"),
    ({"start": 66, "template": "avery-l7651"}, "start", "from 1 to 65"),
    ({"template": "avery-9999"}, "template", "no sheet template"),
    ({"plants": "not-a-uuid"}, "plants", "not plant ids"),
    ({"plants": "00000000-0000-0000-0000-000000000001"}, "plants", "not in this experiment"),
    ({"plants": "all", "trays": "all"}, "plants", "only one of"),
    ({"tray": "TR9"}, "tray", "no tray TR9"),
    ({"fields": "species,colour"}, "fields", "Unknown field colour"),
    ({"copies": "two"}, "copies", "valid integer"),
    ({"size": "big"}, "size", "Extra inputs"),
])
def test_bad_input_is_422_with_field_messages(client, trial, auth, query, field, words):
    resp = _get(client, trial[0], auth, **query)
    body = resp.get_json()
    assert resp.status_code == 422, body
    assert body["detail"] and any(words in m for m in body["errors"][field]), body


def test_empty_selection_is_422(client, session, auth):
    exp = f.make_experiment(session)
    session.commit()
    body = _get(client, exp, auth).get_json()
    assert body["errors"] == {"plants": ["There are no active plants to print."]}


def test_production_refuses_localhost_with_a_409(app, client, trial, auth, monkeypatch):
    monkeypatch.setitem(app.config, "ENV", "production")
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "http://127.0.0.1:8000")
    resp = _get(client, trial[0], auth)
    body = resp.get_json()
    assert resp.status_code == 409
    assert body["detail"].startswith("Labels were not printed: PUBLIC_BASE_URL points at")
    assert body["diagnostics"] == {"public_base_url": "http://127.0.0.1:8000",
                                   "env": "production"}


def test_auth_and_missing_experiment(client, trial, auth):
    exp = trial[0]
    assert client.get(f"/api/v1/experiments/{exp.id}/labels.pdf").status_code == 401
    missing = client.get("/api/v1/experiments/987654/labels.pdf", headers=auth)
    assert missing.status_code == 404 and missing.get_json()["detail"]


def test_openapi_documents_the_route(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    op = doc["paths"]["/api/v1/experiments/{experiment_id}/labels.pdf"]["get"]
    names = {p["name"] for p in op["parameters"]}
    assert {"template", "plants", "tray", "trays", "tents", "fields", "start", "copies"} <= names
    assert {"404", "409", "422"} <= set(op["responses"])


# Jobs -----------------------------------------------------------------------------------

def test_more_than_100_labels_answer_409_with_the_job_route(client, session, trial, auth):
    exp = trial[0]
    assert _get(client, exp, auth, copies=10, tray="TR1").status_code == 200  # 2 × 10
    for i in range(98):
        f.make_plant(session, exp, code=f"BIG-{i:03d}")
    session.commit()
    resp = _get(client, exp, auth)
    body = resp.get_json()
    assert resp.status_code == 409 and "background job" in body["detail"]
    assert body["diagnostics"] == {"labels": 101, "limit": 100,
                                   "job_route": f"/api/v1/experiments/{exp.id}/labels/jobs"}


def test_viewer_starts_a_job_and_downloads_the_file(app, client, session, trial, api_token):
    exp, _trays, plants = trial
    user, raw = api_token("viewer")
    auth = {"Authorization": f"Bearer {raw}"}
    resp = client.post(f"/api/v1/experiments/{exp.id}/labels/jobs", headers=auth,
                       json={"template": "avery-l7651", "copies": 2, "fields": "species"})
    body = resp.get_json()
    assert resp.status_code == 202, body
    assert body["kind"] == "labels" and body["status"] == "queued"
    assert body["progress"] == 0.0 and body["counts"] == {"done": 0, "total": 6}
    assert body.get("download_url") is None
    assert run_jobs(app) == ["done"]
    job = client.get(f"/api/v1/jobs/{body['id']}", headers=auth).get_json()
    assert job["status"] == "done" and job["progress"] == 1.0 and job["error"] is None
    assert job["download_url"] == f"/api/v1/jobs/{body['id']}/file"
    pdf = client.get(job["download_url"], headers=auth)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.headers["Content-Length"] == str(len(pdf.data))
    scans = scan_pdf(pdf.data, BUILTIN_BY_SLUG["avery-l7651"])
    assert assert_qr_matches_code(scans, {f"{BASE}/p/{p.uuid}": p.plant_code
                                          for p in plants}) == 6
    _other, other_raw = api_token("operator")
    other = {"Authorization": f"Bearer {other_raw}"}
    assert client.get(f"/api/v1/jobs/{body['id']}", headers=other).status_code == 404
    assert client.get(job["download_url"], headers=other).status_code == 404
    assert client.get(f"/api/v1/jobs/{body['id']}").status_code == 401

    job_service.expire_job_files(session, storage=app.extensions["growapp_storage"],
                                 now=utcnow() + job_service.FILE_TTL * 2)
    session.commit()
    gone = client.get(job["download_url"], headers=auth)
    assert gone.status_code == 410 and "deleted" in gone.get_json()["detail"]
    expired = client.get(f"/api/v1/jobs/{body['id']}", headers=auth).get_json()
    assert expired["status"] == "expired" and expired["download_url"] is None


def test_a_job_file_before_it_is_ready_is_409(client, trial, auth):
    exp = trial[0]
    job = client.post(f"/api/v1/experiments/{exp.id}/labels/jobs", headers=auth, json={})
    resp = client.get(f"/api/v1/jobs/{job.get_json()['id']}/file", headers=auth)
    assert resp.status_code == 409 and resp.get_json()["diagnostics"]["status"] == "queued"


def test_job_bad_input_and_missing(client, trial, auth):
    exp = trial[0]
    bad = client.post(f"/api/v1/experiments/{exp.id}/labels/jobs", headers=auth,
                      json={"copies": 0})
    assert bad.status_code == 422 and "copies" in bad.get_json()["errors"]
    assert client.post("/api/v1/experiments/987654/labels/jobs", headers=auth,
                       json={}).status_code == 404
    assert client.get("/api/v1/jobs/00000000-0000-0000-0000-000000000001",
                      headers=auth).status_code == 404


def test_job_creation_refused_when_redis_is_down(app, client, session, trial, auth,
                                                 monkeypatch):
    exp = trial[0]
    monkeypatch.setitem(app.extensions, "growapp_jobs", RqQueue("redis://127.0.0.1:1/5"))
    resp = client.post(f"/api/v1/experiments/{exp.id}/labels/jobs", headers=auth, json={})
    body = resp.get_json()
    assert resp.status_code == 503 and body["detail"].startswith("The job queue is not")
    assert session.query(Job).count() == 0


def test_openapi_documents_the_job_routes(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    post = doc["paths"]["/api/v1/experiments/{experiment_id}/labels/jobs"]["post"]
    assert post["x-required-role"] == "viewer" and {"202", "409", "422", "503"} <= \
        set(post["responses"])
    get = doc["paths"]["/api/v1/jobs/{job_uuid}"]["get"]
    schema = get["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    props = doc["components"]["schemas"][schema.rsplit("/", 1)[-1]]["properties"]
    assert {"id", "kind", "status", "progress", "error", "download_url"} <= set(props)
    assert {"404", "409", "410"} <= set(doc["paths"]["/api/v1/jobs/{job_uuid}/file"]["get"][
        "responses"])
