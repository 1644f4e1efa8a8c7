"""GET /experiments/{id}/feeding/queue is paged in the database with API.md's list envelope:
``count`` is every due plant, ``limit``/``offset`` page them (meta adds ``next_offset``,
``blockers``, ``window_days``), and a page costs the same statements at any trial size."""

import pytest

from growapp.api.openapi import build_document
from tests.helpers import factories as f
from tests.helpers.statements import count_statements


@pytest.fixture
def op(api_token):
    _user, raw = api_token("operator")
    return {"Authorization": f"Bearer {raw}"}


def test_pages_cover_every_due_plant_once_in_queue_order(client, op, session):
    exp, trays, plants, _r = f.make_running_experiment(session, plants=23, trays=4)
    session.commit()
    url = f"/api/v1/experiments/{exp.id}/feeding/queue"
    whole = client.get(url, query_string={"limit": 500}, headers=op).json
    assert whole["count"] == 23 and len(whole["results"]) == 23
    assert whole["meta"]["next_offset"] is None
    seen, offset = [], 0
    while offset is not None:
        page = client.get(url, query_string={"limit": 5, "offset": offset}, headers=op).json
        assert page["count"] == 23 and page["meta"]["limit"] == 5
        assert page["meta"]["offset"] == offset and page["meta"]["window_days"] == 7
        assert len(page["results"]) <= 5
        seen += [r["plant_code"] for r in page["results"]]
        offset = page["meta"]["next_offset"]
    assert seen == [r["plant_code"] for r in whole["results"]]
    item = whole["results"][0]
    assert set(item) >= {"plant_uuid", "plant_code", "species", "tray", "tent", "slot",
                         "recipe", "last_fed_at"}
    assert set(item["tray"]) == {"id", "code", "uuid"}
    default = client.get(url, headers=op).json
    assert default["meta"]["limit"] == 50 and default["count"] == 23
    beyond = client.get(url, query_string={"offset": 100}, headers=op).json
    assert beyond["results"] == [] and beyond["count"] == 23
    assert client.get(url, query_string={"limit": 0}, headers=op).status_code == 422


def test_a_page_costs_the_same_statements_at_any_size(client, op, session, connection):
    counts = []
    for n in (6, 120):
        exp, _t, _p, _r = f.make_running_experiment(session, plants=n, trays=3)
        session.commit()
        url = f"/api/v1/experiments/{exp.id}/feeding/queue?limit=5"
        client.get(url, headers=op)
        with count_statements(connection) as statements:
            body = client.get(url, headers=op).json
        assert len(body["results"]) == 5 and body["count"] == n
        counts.append(len(statements))
        # The database pages the plants (it used to load every due plant, then slice).
        assert any("feeding_logs" in s and "LIMIT" in s.upper() for s in statements)
    assert counts[0] == counts[1], counts


def test_openapi_describes_the_paged_queue():
    doc = build_document()
    op = doc["paths"]["/api/v1/experiments/{experiment_id}/feeding/queue"]["get"]
    schema = op["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema["properties"]["results"]["items"] == {
        "$ref": "#/components/schemas/FeedingQueueItemOut"}
    assert {"limit", "offset", "next_offset", "blockers", "window_days"} <= set(
        schema["properties"]["meta"]["properties"])
    assert {p["name"] for p in op["parameters"]} >= {"limit", "offset"}
    assert "FeedingQueueItemOut" in doc["components"]["schemas"]
