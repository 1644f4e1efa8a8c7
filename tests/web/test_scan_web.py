"""/scan as a plain GET form (hardware scanners, no JS) and scan to feed's form post."""

import re
import uuid

from sqlalchemy import func, select

from growapp.models import FeedingLog, Lot
from tests.helpers import factories as f


def _key(html: str) -> str:
    return re.search(r'name="idempotency_key" value="([^"]+)"', html).group(1)


def test_scan_page_focuses_the_input_and_offers_the_camera(login_as):
    html = login_as("viewer").get("/scan").get_data(as_text=True)
    assert re.search(r'<input id="scan-q"[^>]*\bautofocus\b', html)
    assert 'data-scanner="open"' in html and 'data-autostart="true"' in html
    assert "jsQR-1.4.0." in html and "HTTPS on the tent's network" in html
    assert 'hx-boost="false"' in html  # a typed code + Enter is a full navigation


def test_every_signed_in_page_links_to_scan(login_as):
    html = login_as("operator").get("/").get_data(as_text=True)
    nav = html.split('<nav class="topnav"')[1].split("</nav>")[0]
    assert 'href="/scan"' in nav and ">Scan<" in nav


def test_a_label_url_on_another_host_opens_the_cockpit(login_as, session):
    client = login_as("viewer")
    _exp, trays, plants, _r = f.make_running_experiment(session)
    session.commit()
    resp = client.get("/scan", query_string={"q": f"http://10.0.0.9:5000/p/{plants[0].uuid}"})
    assert resp.status_code == 303
    assert resp.headers["Location"] == f"/p/{plants[0].uuid}?from=/scan"
    resp = client.get("/scan", query_string={"q": f"https://grow.example/t/{trays[0].uuid}"})
    assert resp.headers["Location"] == f"/t/{trays[0].uuid}?from=/scan"


def test_a_code_opens_the_plant_of_the_experiment_worked_in_last(login_as, session):
    client = login_as("operator")
    exp_a, _t, plants_a, _r = f.make_running_experiment(session)
    exp_b, _t2, plants_b, _r2 = f.make_running_experiment(session)
    session.commit()
    both = client.get("/scan?q=VFT-001")  # no experiment opened yet: both are listed
    html = both.get_data(as_text=True)
    assert both.status_code == 200 and "2 experiments have VFT-001" in html
    assert f"/p/{plants_a[0].uuid}" in html and f"/p/{plants_b[0].uuid}" in html
    client.get(f"/experiments/{exp_b.id}/feeding")
    resp = client.get("/scan?q=vft-001")
    assert resp.headers["Location"] == f"/p/{plants_b[0].uuid}?from=/scan"
    cockpit = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert f"{exp_a.name} has a VFT-001 too" in cockpit  # the other match is named
    client.get(f"/p/{plants_a[0].uuid}")  # a cockpit counts as working in its experiment
    assert client.get("/scan?q=VFT-001").headers["Location"].startswith(
        f"/p/{plants_a[0].uuid}")


def test_an_unknown_label_is_404_with_the_find_form(login_as):
    resp = login_as("viewer").get(f"/scan?q=https://grow.example/p/{uuid.uuid4()}")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 404 and "another growapp installation" in html
    assert 'href="/find' in html and 'id="scan-q"' in html
    assert 'data-autostart="false"' in html  # the same label in view would loop


def test_an_unknown_code_lists_codes_containing_it(login_as, session):
    _exp, _t, _plants, _r = f.make_running_experiment(session)
    session.commit()
    resp = login_as("viewer").get("/scan?q=VFT-00")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 404 and "No plant has the code VFT-00." in html
    assert "Codes containing" in html and "VFT-001" in html


def test_not_a_growapp_label(login_as):
    resp = login_as("viewer").get("/scan", query_string={"q": "https://shop.example/item/42"})
    assert resp.status_code == 422
    assert "is not a growapp label" in resp.get_data(as_text=True)


def test_labels_page_warns_when_qr_codes_point_at_localhost(login_as, session, app):
    client = login_as("operator")
    exp = f.make_ready_experiment(session)
    session.commit()
    url = f"/experiments/{exp.id}/labels"
    assert "a phone cannot open" not in client.get(url).get_data(as_text=True)  # configured
    configured = app.config["PUBLIC_BASE_URL"]
    try:
        app.config["PUBLIC_BASE_URL"] = ""  # development: the request's host, localhost here
        html = client.get(url).get_data(as_text=True)
        assert "would open http://localhost: a phone cannot open" in html
        assert "PUBLIC_BASE_URL=" in html
        app.config["PUBLIC_BASE_URL"] = "http://127.0.0.1:5000"
        assert "a phone cannot open" in client.get(url).get_data(as_text=True)
        app.config["PUBLIC_BASE_URL"] = ""
        lan = client.get(url, base_url="http://192.168.1.20:5000").get_data(as_text=True)
        assert "a phone cannot open" not in lan
    finally:
        app.config["PUBLIC_BASE_URL"] = configured


# Scan to feed ----------------------------------------------------------------------------

def _feed_mode(client, exp_id: int) -> str:
    resp = client.get(f"/experiments/{exp_id}/feeding/scan")
    assert resp.status_code == 200
    return resp.get_data(as_text=True)


def test_the_feeding_queue_links_to_scan_to_feed(login_as, session):
    exp, _t, _p, _r = f.make_running_experiment(session)
    session.commit()
    html = login_as("operator").get(f"/experiments/{exp.id}/feeding").get_data(as_text=True)
    assert f'href="/experiments/{exp.id}/feeding/scan"' in html and "Scan to feed" in html


def test_scan_to_feed_page_has_the_lot_choice_and_the_outbox_markers(login_as, session):
    client = login_as("operator")
    exp, _t, _p, recipe = f.make_running_experiment(session)
    session.add(Lot(experiment_id=exp.id, recipe_id=recipe.id, code="L-01"))
    session.commit()
    html = _feed_mode(client, exp.id)
    form = re.search(r'<form id="scan-feed-form"[^>]*>', html).group(0)
    # scan.js hands each scan to the outbox itself; a data-outbox form would be taken by
    # the outbox's submit hook, which swaps the whole answer page in (the log emptied)
    assert 'data-outbox-what="Scan to feed"' in form and "data-outbox=" not in form
    assert 'id="feeding-queue"' in html
    assert "Lot for R1" in html and "Lot L-01" in html
    assert re.search(r'<input id="scan-feed-code"[^>]*\bautofocus\b', html)


def test_scan_to_feed_fragment_logs_once_per_key(login_as, hx_client, session):
    client = login_as("operator", client=hx_client)
    exp, _t, plants, recipe = f.make_running_experiment(session)
    lot = Lot(experiment_id=exp.id, recipe_id=recipe.id, code="L-01")
    session.add(lot)
    session.commit()
    data = {"code": f"https://old.example/p/{plants[0].uuid}", "lot_id": [str(lot.id), ""],
            "idempotency_key": "phone-made-key-1"}
    first = client.post(f"/experiments/{exp.id}/feeding/scan", data=data)
    again = client.post(f"/experiments/{exp.id}/feeding/scan", data=data)
    body = first.get_data(as_text=True)
    assert first.status_code == again.status_code == 200 and "<html" not in body
    assert "Fed VFT-001 (R1, lot L-01)." in body and 'data-name="VFT-001"' in body
    assert again.headers["Idempotent-Replayed"] == "true"
    logs = session.scalars(select(FeedingLog).where(FeedingLog.plant_id == plants[0].id)).all()
    assert [lg.lot_id for lg in logs] == [lot.id]


def test_scan_to_feed_refusals_are_fragments_with_their_status(login_as, hx_client, session):
    client = login_as("operator", client=hx_client)
    exp, _t, _plants, _r = f.make_running_experiment(session)
    _other, _t2, plants_b, _r2 = f.make_running_experiment(session)
    session.commit()
    url = f"/experiments/{exp.id}/feeding/scan"
    foreign = client.post(url, data={"code": f"/p/{plants_b[0].uuid}"})
    assert foreign.status_code == 409 and b"not to this feeding queue" in foreign.data
    assert b"scan-line-problem" in foreign.data and b"<html" not in foreign.data
    garbage = client.post(url, data={"code": "hello there"})
    assert garbage.status_code == 422 and b"not a growapp label" in garbage.data
    assert session.scalar(select(func.count()).select_from(FeedingLog)) == 0


def test_scan_to_feed_without_js_redirects_with_a_flash(login_as, session):
    client = login_as("operator")
    exp, trays, _plants, _r = f.make_running_experiment(session, plants=2)
    session.commit()
    key = _key(_feed_mode(client, exp.id))
    resp = client.post(f"/experiments/{exp.id}/feeding/scan",
                       data={"code": f"/t/{trays[0].uuid}", "idempotency_key": key})
    assert resp.status_code == 303
    assert resp.headers["Location"] == f"/experiments/{exp.id}/feeding/scan"
    assert "Fed tray TR1: 2 plants (R1)." in client.get(resp.headers["Location"]).get_data(
        as_text=True)
    refused = client.post(f"/experiments/{exp.id}/feeding/scan", data={"code": "NOPE-1"})
    assert refused.status_code == 404 and b"<html" in refused.data
    assert b"No plant has the code NOPE-1." in refused.data
