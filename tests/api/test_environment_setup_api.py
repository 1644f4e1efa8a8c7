"""API: a tent's sensor settings and device topic mappings (shapes, 404/409/422, viewers
read only, audited) and the logger CSV import route (dry run, 201, 422 with the lines,
413), all in openapi.json."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from growapp.models import AuditLog, Reading
from tests.helpers import factories as f

CSV = b"at,temperature,humidity\n2026-11-30T08:00:00Z,21.5,55\n2026-11-30T08:10:00Z,21.7,56\n"


@pytest.fixture
def headers(api_token):
    _user, raw = api_token("operator")
    return {"Authorization": f"Bearer {raw}"}


@pytest.fixture
def viewer(api_token):
    _user, raw = api_token("viewer")
    return {"Authorization": f"Bearer {raw}"}


@pytest.fixture
def tent(session):
    tent = f.make_tent(session, f.make_experiment(session))
    session.commit()
    return tent


def test_sensor_settings_get_put_and_422(client, headers, viewer, tent, session):
    url = f"/api/v1/tents/{tent.id}/sensor-settings"
    got = client.get(url, headers=viewer)
    assert got.status_code == 200
    assert got.json == {"tent_id": tent.id, "lux_factor": None, "stale_minutes": 30}
    put = client.put(url, json={"lux_factor": 0.0185, "stale_minutes": 20}, headers=headers)
    assert put.status_code == 200 and put.json["lux_factor"] == 0.0185
    assert client.get(url, headers=viewer).json["stale_minutes"] == 20
    bad = client.put(url, json={"lux_factor": 2, "stale_minutes": 20}, headers=headers)
    assert bad.status_code == 422 and "lux_factor" in bad.json["errors"]
    bad = client.put(url, json={"stale_minutes": -3}, headers=headers)
    assert bad.status_code == 422 and "stale_minutes" in bad.json["errors"]
    assert client.put(url, json={"stale_minutes": 5}, headers=viewer).status_code == 403
    assert client.get("/api/v1/tents/999999/sensor-settings", headers=viewer).status_code == 404
    assert session.scalar(select(func.count()).select_from(AuditLog).where(
        AuditLog.table_name == "tent_sensor_settings")) == 1


def test_mappings_list_post_409_422_delete(client, headers, viewer, tent):
    url = f"/api/v1/tents/{tent.id}/sensor-mappings"
    assert client.get(url, headers=viewer).json["count"] == 0
    topic = f"tele/api{tent.id}/SENSOR"
    made = client.post(url, json={"kind": "tasmota", "topic": topic}, headers=headers)
    assert made.status_code == 201
    assert made.json == {"id": made.json["id"], "tent_id": tent.id, "kind": "tasmota",
                         "topic": topic, "quantity": None, "unit": None}
    dup = client.post(url, json={"kind": "tasmota", "topic": topic}, headers=headers)
    assert dup.status_code == 409 and dup.json["detail"].endswith("already mapped to this tent.")
    bad = client.post(url, json={"kind": "esphome", "topic": "n/sensor/x/state"},
                      headers=headers)
    assert bad.status_code == 422 and "quantity" in bad.json["errors"]
    bad = client.post(url, json={"kind": "zigbee", "topic": "x"}, headers=headers)
    assert bad.status_code == 422 and "kind" in bad.json["errors"]
    esp = client.post(url, json={"kind": "esphome", "topic": "n/sensor/x/state",
                                 "quantity": "ppfd"}, headers=headers)
    assert esp.status_code == 201 and esp.json["quantity"] == "ppfd"
    listed = client.get(url, headers=viewer).json
    assert listed["count"] == 2 and [m["topic"] for m in listed["results"]] == [
        "n/sensor/x/state", topic]
    assert client.post(url, json={"kind": "tasmota", "topic": "tele/v/SENSOR"},
                       headers=viewer).status_code == 403
    gone = client.delete(f"{url}/{made.json['id']}", headers=headers)
    assert gone.status_code == 204
    assert client.delete(f"{url}/{made.json['id']}", headers=headers).status_code == 404
    assert client.get(url, headers=viewer).json["count"] == 1


def test_readings_csv_dry_run_then_import(client, headers, tent, session):
    url = f"/api/v1/tents/{tent.id}/readings.csv"
    dry = client.post(url, data={"file": (io.BytesIO(CSV), "log.csv")}, headers=headers,
                      content_type="multipart/form-data")
    assert dry.status_code == 200, dry.json
    assert dry.json["dry_run"] is True and dry.json["new"] == 4 and dry.json["stored"] == 0
    assert dry.json["quantities"]["temperature"] == {
        "count": 2, "first": "2026-11-30T08:00:00+00:00", "last": "2026-11-30T08:10:00+00:00"}
    assert session.scalar(select(func.count()).select_from(Reading)) == 0
    real = client.post(f"{url}?dry_run=0", data={"file": (io.BytesIO(CSV), "log.csv")},
                       headers=headers, content_type="multipart/form-data")
    assert real.status_code == 201 and real.json["stored"] == 4
    again = client.post(f"{url}?dry_run=0", data={"file": (io.BytesIO(CSV), "log.csv")},
                        headers=headers, content_type="multipart/form-data")
    assert again.status_code == 201 and again.json["stored"] == 0
    assert again.json["duplicates"] == 4


def test_readings_csv_422_413_and_options(client, headers, tent, session, monkeypatch):
    url = f"/api/v1/tents/{tent.id}/readings.csv"
    bad = CSV + b"2026-11-30 08:20:00,21.9,57\n"
    resp = client.post(f"{url}?dry_run=0", data={"file": (io.BytesIO(bad), "log.csv")},
                       headers=headers, content_type="multipart/form-data")
    assert resp.status_code == 422 and resp.json["rejected"][0]["line"] == 4
    assert "line 4" in resp.json["errors"]
    assert session.scalar(select(func.count()).select_from(Reading)) == 0
    ok = client.post(f"{url}?dry_run=0&offset=%2B01:00",
                     data={"file": (io.BytesIO(bad), "log.csv")}, headers=headers,
                     content_type="multipart/form-data")
    assert ok.status_code == 201 and ok.json["stored"] == 6
    none = client.post(url, data={}, headers=headers, content_type="multipart/form-data")
    assert none.status_code == 422 and "file" in none.json["errors"]
    from growapp.services.environment import csv_import

    monkeypatch.setattr(csv_import, "MAX_BYTES", 64)
    big = client.post(url, data={"file": (io.BytesIO(CSV * 3), "log.csv")}, headers=headers,
                      content_type="multipart/form-data")
    assert big.status_code == 413


def test_openapi_lists_the_setup_and_import_routes(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert {"get", "put"} <= set(paths["/api/v1/tents/{tent_id}/sensor-settings"])
    assert {"get", "post"} <= set(paths["/api/v1/tents/{tent_id}/sensor-mappings"])
    assert "delete" in paths["/api/v1/tents/{tent_id}/sensor-mappings/{mapping_id}"]
    assert "post" in paths["/api/v1/tents/{tent_id}/readings.csv"]
