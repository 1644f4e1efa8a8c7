"""GET /api/v1/experiments/{id}/labels.pdf: PDFs whose QR codes decode, and the JSON
errors of API.md (401, 404, 409 with diagnostics, 422 with field messages)."""

from __future__ import annotations

import pytest

from growapp.labels.templates import BUILTIN_BY_SLUG
from growapp.services import labels as svc
from tests.helpers import factories as f
from tests.helpers.pdf_scan import assert_qr_matches_code, scan_pdf

BASE = "https://growapp.example.org"


@pytest.fixture
def trial(session):
    svc.ensure_label_templates(session)
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
