"""Schedules API: shapes and statuses from API.md."""

from datetime import UTC, date, datetime, time, timedelta

import pytest

from growapp.models import FeedingLog, utcnow
from tests.helpers import factories as f


@pytest.fixture
def op(api_token):
    _user, raw = api_token("operator")
    return {"Authorization": f"Bearer {raw}"}


@pytest.fixture
def world(session):
    exp = f.make_experiment(session, status="running")
    tent = f.make_tent(session, exp, positions=2)
    recipe = f.make_recipe(session, exp, "R1")
    tray = f.make_tray(session, exp, "TR1", slot=tent.slots[0], recipe=recipe)
    bare = f.make_tray(session, exp, "TR2", slot=tent.slots[1])
    plants = [f.make_plant(session, exp, code=f"VFT-00{i}", tray=tray) for i in (1, 2)]
    session.commit()
    return {"exp": exp, "tent": tent, "recipe": recipe, "trays": [tray, bare], "plants": plants}


def _body(world, **kw):
    body = {"action_type": "feed", "title": "Feed TR1", "timeframe": "morning",
            "rule": {"kind": "weekly", "weekdays": [0, 3]}, "start_date": "2026-03-02",
            "scope": {"type": "tray", "ids": [world["trays"][0].id]}}
    body.update(kw)
    return body


def test_create_list_get_patch_delete(client, op, world):
    exp_id = world["exp"].id
    resp = client.post(f"/api/v1/experiments/{exp_id}/schedules", json=_body(world), headers=op)
    assert resp.status_code == 201, resp.json
    created = resp.json
    assert {"id", "action_type", "title", "notes", "timeframe", "exact_time", "rule",
            "start_date", "end_date", "scope", "is_active"} <= set(created)
    assert created["rule"] == {"kind": "weekly", "weekdays": [0, 3], "every_days": None}
    assert created["scope"] == {"type": "tray", "ids": [world["trays"][0].id],
                                "codes": ["TR1"]}
    assert created["start_date"] == "2026-03-02" and created["end_date"] is None

    listed = client.get(f"/api/v1/experiments/{exp_id}/schedules", headers=op).json
    assert listed["count"] == 1 and listed["results"][0]["id"] == created["id"]
    assert set(listed["meta"]) >= {"limit", "offset"}
    empty_page = client.get(f"/api/v1/experiments/{exp_id}/schedules?offset=1", headers=op).json
    assert empty_page["count"] == 1 and empty_page["results"] == []

    got = client.get(f"/api/v1/schedules/{created['id']}", headers=op)
    etag = got.headers["ETag"]
    patched = client.patch(f"/api/v1/schedules/{created['id']}",
                           json={"exact_time": "09:15", "is_active": False},
                           headers={**op, "If-Match": etag})
    assert patched.status_code == 200, patched.json
    assert patched.json["exact_time"] == "09:15" and patched.json["timeframe"] is None
    assert patched.json["is_active"] is False
    stale = client.patch(f"/api/v1/schedules/{created['id']}", json={"title": "X"},
                         headers={**op, "If-Match": etag})
    assert stale.status_code == 412
    bad = client.patch(f"/api/v1/schedules/{created['id']}", json={"end_date": "2026-01-01"},
                       headers=op)
    assert bad.status_code == 422 and "end_date" in bad.json["errors"]
    gone = client.delete(f"/api/v1/schedules/{created['id']}", headers=op)
    assert gone.status_code == 204
    assert client.get(f"/api/v1/schedules/{created['id']}", headers=op).status_code == 404
    assert client.delete(f"/api/v1/schedules/{created['id']}", headers=op).status_code == 404


@pytest.mark.parametrize("overrides, field", [
    ({"rule": {"kind": "weekly", "weekdays": []}}, "rule.weekdays"),
    ({"end_date": "2026-03-01"}, "end_date"),
    ({"scope": {"type": "tray", "ids": [987654]}}, "scope.ids"),
    ({"scope": {"type": "plant", "ids": []}}, "scope.ids"),
    ({"timeframe": None}, "timeframe"),
    ({"exact_time": "10:00"}, "timeframe"),
    ({"rule": {"kind": "interval", "every_days": 400}}, "rule.every_days"),
    ({"action_type": "prune"}, "action_type"),
    ({"title": ""}, "title"),
    ({"start_date": "not a date"}, "start_date"),
    ({"unknown": 1}, "unknown"),
])
def test_create_422(client, op, world, overrides, field):
    resp = client.post(f"/api/v1/experiments/{world['exp'].id}/schedules",
                       json=_body(world, **overrides), headers=op)
    assert resp.status_code == 422, resp.json
    assert resp.json["detail"] and field in resp.json["errors"], resp.json["errors"]


def test_viewer_cannot_create_and_missing_experiment_is_404(client, api_token, op, world):
    _user, raw = api_token("viewer")
    viewer = {"Authorization": f"Bearer {raw}"}
    resp = client.post(f"/api/v1/experiments/{world['exp'].id}/schedules", json=_body(world),
                       headers=viewer)
    assert resp.status_code == 403
    assert client.get("/api/v1/experiments/999999/schedules", headers=op).status_code == 404
    assert client.get("/api/v1/experiments/999999/schedules/plan",
                      headers=op).status_code == 404


def test_occurrences_and_plan(client, op, session, world):
    exp_id = world["exp"].id
    monday = date(2026, 3, 2)
    sid = client.post(f"/api/v1/experiments/{exp_id}/schedules", headers=op, json=_body(
        world, rule={"kind": "interval", "every_days": 1})).json["id"]
    client.post(f"/api/v1/experiments/{exp_id}/schedules", headers=op, json=_body(
        world, title="Water at 7", action_type="water", timeframe=None, exact_time="07:00",
        rule={"kind": "interval", "every_days": 1},
        scope={"type": "tray", "ids": [world["trays"][1].id]}))
    url = f"/api/v1/schedules/{sid}/occurrences"
    done = client.post(url, json={"date": "2026-03-02", "status": "done"}, headers=op)
    assert done.status_code == 200, done.json
    assert done.json["status"] == "done" and done.json["date"] == "2026-03-02"
    assert done.json["schedule_id"] == sid and done.json["automatic"] is False
    no_reason = client.post(url, json={"date": "2026-03-03", "status": "skipped"}, headers=op)
    assert no_reason.status_code == 422 and "reason" in no_reason.json["errors"]
    skipped = client.post(url, json={"date": "2026-03-03", "status": "skipped",
                                     "reason": "Lights failed"}, headers=op)
    assert skipped.status_code == 200 and skipped.json["reason"] == "Lights failed"
    before = client.post(url, json={"date": "2026-03-01", "status": "done"}, headers=op)
    assert before.status_code == 422 and "date" in before.json["errors"]
    assert client.post("/api/v1/schedules/999999/occurrences", headers=op,
                       json={"date": "2026-03-02", "status": "done"}).status_code == 404
    # both plants of TR1 fed on 4 March → automatic done
    for plant in world["plants"]:
        session.add(FeedingLog(plant_id=plant.id, recipe_id=world["recipe"].id,
                               tray_id=world["trays"][0].id, status="fed",
                               fed_at=datetime.combine(monday + timedelta(days=2), time(8),
                                                       UTC)))
    session.commit()

    resp = client.get(f"/api/v1/experiments/{exp_id}/schedules/plan?from=2026-03-02&days=4",
                      headers=op)
    assert resp.status_code == 200, resp.json
    days = resp.json["days"]
    assert [d["date"] for d in days] == ["2026-03-02", "2026-03-03", "2026-03-04",
                                         "2026-03-05"]
    first = days[0]["groups"]
    assert [(g["key"], g["timeframe"], g["time"]) for g in first] == [
        ("morning", "morning", None), ("time-07:00", None, "07:00")]
    feed = first[0]["actions"][0]
    assert set(feed) >= {"schedule_id", "action_type", "title", "notes", "scope", "status",
                         "automatic", "blockers", "completion"}
    assert feed["status"] == "done" and feed["completion"]["status"] == "done"
    water = first[1]["actions"][0]
    assert water["scope"]["codes"] == ["TR2"]
    statuses = [d["groups"][0]["actions"][0]["status"] for d in days]
    today = utcnow().date()
    expected_open = "overdue" if date(2026, 3, 5) < today else "due"
    assert statuses == ["done", "skipped", "done", expected_open]
    assert days[2]["groups"][0]["actions"][0]["automatic"] is True
    assert days[1]["groups"][0]["actions"][0]["completion"]["reason"] == "Lights failed"


def test_plan_blockers_and_query_validation(client, op, world, session):
    exp_id = world["exp"].id
    client.post(f"/api/v1/experiments/{exp_id}/schedules", headers=op, json=_body(
        world, rule={"kind": "interval", "every_days": 1}, start_date=utcnow().date().isoformat(),
        scope={"type": "tray", "ids": [t.id for t in world["trays"]]}))
    f.make_plant(session, world["exp"], code="VFT-009", tray=world["trays"][1])
    session.commit()
    plan = client.get(f"/api/v1/experiments/{exp_id}/schedules/plan", headers=op)
    assert plan.status_code == 200 and len(plan.json["days"]) == 14
    action = plan.json["days"][0]["groups"][0]["actions"][0]
    assert action["status"] == "due" and action["blockers"] == ["Needs tray recipe"]
    for query in ("days=0", "days=63", "from=yesterday", "days=x", "bogus=1"):
        resp = client.get(f"/api/v1/experiments/{exp_id}/schedules/plan?{query}", headers=op)
        assert resp.status_code == 422, query
        assert resp.json["errors"], query
    long = client.get(f"/api/v1/experiments/{exp_id}/schedules/plan?days=62", headers=op)
    assert long.status_code == 200 and len(long.json["days"]) == 62
    edge = client.get(f"/api/v1/experiments/{exp_id}/schedules/plan?from=9999-12-30",
                      headers=op)
    assert edge.status_code == 422


def test_openapi_documents_the_schedule_routes(client):
    doc = client.get("/api/v1/openapi.json").json
    paths = doc["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/experiments/{experiment_id}/schedules"])
    assert {"get", "patch", "delete"} <= set(paths["/api/v1/schedules/{schedule_id}"])
    assert "post" in paths["/api/v1/schedules/{schedule_id}/occurrences"]
    plan = paths["/api/v1/experiments/{experiment_id}/schedules/plan"]["get"]
    assert {p["name"] for p in plan["parameters"]} >= {"experiment_id", "from", "days"}
