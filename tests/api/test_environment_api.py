"""API: POST/GET /tents/{id}/readings (201 list envelope, all or nothing, 422 field
messages, Idempotency-Key, raw and hourly), and mqtt_topic on the tent object."""

from datetime import UTC, datetime, timedelta

import pytest

from tests.helpers import factories as f


@pytest.fixture
def headers(api_token):
    _user, raw = api_token("operator")
    return {"Authorization": f"Bearer {raw}"}


@pytest.fixture
def tent(session):
    exp = f.make_experiment(session)
    tent = f.make_tent(session, exp)
    session.commit()
    return tent


def test_tent_object_carries_its_mqtt_topic(client, headers, tent):
    got = client.get(f"/api/v1/tents/{tent.id}", headers=headers).json
    assert got["mqtt_topic"] == f"growapp/{tent.experiment_id}-{tent.code}"
    listed = client.get(f"/api/v1/experiments/{tent.experiment_id}/tents", headers=headers)
    assert listed.json["results"][0]["mqtt_topic"] == got["mqtt_topic"]


def test_post_then_get_raw_and_hourly(client, headers, tent):
    now = datetime.now(UTC).replace(microsecond=0)
    at = (now - timedelta(minutes=10)).isoformat()
    body = [{"quantity": "temperature", "value": 77, "unit": "°F", "at": at},
            {"quantity": "humidity", "value": 60, "at": at},
            {"quantity": "co2", "value": 900, "slot_id": tent.slots[0].id}]
    resp = client.post(f"/api/v1/tents/{tent.id}/readings", json=body,
                       headers={**headers, "Idempotency-Key": "batch-1"})
    assert resp.status_code == 201, resp.json
    assert resp.json["count"] == 3 and resp.json["meta"]["duplicates"] == 0
    temp = next(r for r in resp.json["results"] if r["quantity"] == "temperature")
    assert temp["value"] == pytest.approx(25.0) and temp["unit"] == "°C"
    assert temp["source"] == "api"
    again = client.post(f"/api/v1/tents/{tent.id}/readings", json=body,
                        headers={**headers, "Idempotency-Key": "batch-1"})
    assert again.status_code == 201 and again.json == resp.json  # replayed
    raw = client.get(f"/api/v1/tents/{tent.id}/readings?quantity=temperature",
                     headers=headers).json
    assert raw["count"] == 1 and set(raw["results"][0]) >= {
        "at", "quantity", "value", "unit", "source", "slot_id"}
    frm = (now - timedelta(hours=2)).isoformat().replace("+00:00", "Z")
    hourly = client.get(f"/api/v1/tents/{tent.id}/readings",
                        query_string={"resolution": "hour", "from": frm}, headers=headers).json
    assert {h["quantity"] for h in hourly["results"]} == {"temperature", "humidity", "co2"}
    assert set(hourly["results"][0]) == {"at", "quantity", "min", "mean", "max", "n"}


def test_422s_name_the_field_and_store_nothing(client, headers, tent):
    body = [{"quantity": "temperature", "value": 21},
            {"quantity": "wind", "value": 3},
            {"quantity": "humidity", "value": 150},
            {"quantity": "temperature", "value": 20, "unit": "kelvinish"},
            {"quantity": "ph", "value": 6, "at": "2026-12-01T10:00:00"},
            {"quantity": "ph", "value": 6, "slot_id": 999999}]
    resp = client.post(f"/api/v1/tents/{tent.id}/readings", json=body, headers=headers)
    assert resp.status_code == 422
    errors = resp.json["errors"]
    assert set(errors) == {"1.quantity", "2.value", "3.unit", "4.at", "5.slot_id"}
    assert "impossible" in errors["2.value"][0] and "offset" in errors["4.at"][0]
    assert client.get(f"/api/v1/tents/{tent.id}/readings",
                      headers=headers).json["count"] == 0
    assert client.post(f"/api/v1/tents/{tent.id}/readings", json=[],
                       headers=headers).status_code == 422
    too_many = [{"quantity": "ph", "value": 6}] * 1001
    assert client.post(f"/api/v1/tents/{tent.id}/readings", json=too_many,
                       headers=headers).status_code == 422
    assert client.post(f"/api/v1/tents/{tent.id}/readings", json={"quantity": "ph"},
                       headers=headers).status_code == 422
    bad_q = client.get(f"/api/v1/tents/{tent.id}/readings?from=2026-12-01T10:00",
                       headers=headers)
    assert bad_q.status_code == 422 and "from" in bad_q.json["errors"]
    assert client.post("/api/v1/tents/99999/readings", json=body[:1],
                       headers=headers).status_code == 404


def test_viewer_cannot_post(client, api_token, tent):
    _u, raw = api_token("viewer")
    resp = client.post(f"/api/v1/tents/{tent.id}/readings", json=[{"quantity": "ph",
                                                                   "value": 6}],
                       headers={"Authorization": f"Bearer {raw}"})
    assert resp.status_code == 403


def test_openapi_lists_the_readings_endpoints(client):
    doc = client.get("/api/v1/openapi.json").json
    assert {"post", "get"} <= set(doc["paths"]["/api/v1/tents/{tent_id}/readings"])
    assert "mqtt_topic" in doc["components"]["schemas"]["TentOut"]["properties"]
