"""Tent-floor API shapes: cockpit, feed, notes, adverse events, remove/replace, rotation,
feeding queue, events."""

import pytest
from sqlalchemy import func, select

from growapp.models import FeedingLog
from tests.helpers import factories as f


@pytest.fixture
def op(api_token):
    _user, raw = api_token("operator")
    return {"Authorization": f"Bearer {raw}"}


def test_cockpit_shape(client, op, session):
    _exp, _t, plants, _r = f.make_running_experiment(session)
    session.commit()
    body = client.get(f"/api/v1/plants/{plants[0].uuid}/cockpit", headers=op).json
    assert set(body) >= {"plant", "location", "recipe", "next_actions", "recent_activity"}
    assert body["next_actions"][0] == {"key": "feed", "label": "Feed — never fed", "url": "#feed",
                                       "detail": "R1 · window 7 d"}
    assert body["location"]["tray"]["code"] == "TR1" and body["recipe"]["code"] == "R1"
    assert body["tent_now"] == {"tent": {"id": body["location"]["tent"]["id"], "code": "TN1"},
                                "readings": {}, "vpd_kpa": None, "alerts": [],
                                "stale": False, "updated_at": None}


def test_cockpit_carries_the_tents_conditions(client, op, session):
    from growapp.models import utcnow
    from growapp.services.environment.readings import ingest_readings

    _exp, trays, plants, _r = f.make_running_experiment(session)
    now = utcnow()
    ingest_readings(session, tent_id=trays[0].slot.tent_id, source="api", actor=None, now=now,
                    items=[{"quantity": "temperature", "value": 24.0, "at": now.isoformat()},
                           {"quantity": "humidity", "value": 60.0, "at": now.isoformat()}])
    session.commit()
    tn = client.get(f"/api/v1/plants/{plants[0].uuid}/cockpit", headers=op).json["tent_now"]
    assert tn["readings"]["temperature"]["value"] == 24.0
    assert tn["readings"]["temperature"]["unit"] == "°C"
    assert tn["readings"]["humidity"]["state"] is None and tn["vpd_kpa"] > 0
    assert tn["updated_at"] is not None and tn["stale"] is False


def test_cockpit_statements_do_not_grow_and_reuse_the_cockpits_reads(client, op, session,
                                                                      connection):
    """The JSON twin reads what the page reads: the token and its user, the plant and one
    statement of lists; the plant's location and replacement links come from the
    cockpit's own read (they cost a tray_plants and a plants query of their own, 13 in
    all before)."""
    from datetime import timedelta

    from growapp.models import Event, utcnow
    from tests.helpers.statements import count_statements

    counts = []
    for history in (5, 500):
        _exp, _t, plants, _r = f.make_running_experiment(session, plants=2)
        old, new = plants
        old.replaced_by_id = new.id
        for i in range(history):
            session.add(FeedingLog(plant_id=new.id, status="fed",
                                   fed_at=utcnow() - timedelta(hours=i)))
            session.add(Event(plant_id=new.id, kind="plant.noted", summary=f"n{i}"))
        session.commit()
        url = f"/api/v1/plants/{new.uuid}/cockpit"
        client.get(url, headers=op)
        with count_statements(connection) as statements:
            body = client.get(url, headers=op).json
        counts.append(len(statements))
        assert body["plant"]["replaces"] == str(old.uuid)
        assert body["plant"]["replaced_by"] is None
        assert body["location"]["tray"]["code"] == "TR1" and body["recipe"]["code"] == "R1"
        assert len(body["recent_activity"]) == min(history, 20)
        old_body = client.get(f"/api/v1/plants/{old.uuid}/cockpit", headers=op).json
        assert old_body["plant"]["replaced_by"] == str(new.uuid)
    assert counts[0] == counts[1] <= 6, counts  # with the test's SAVEPOINT and rollback


def test_feed_idempotent_and_conflicts(client, op, session):
    exp, _t, plants, _r = f.make_running_experiment(session)
    session.commit()
    url = f"/api/v1/plants/{plants[0].uuid}/feed"
    headers = {**op, "Idempotency-Key": "feed-1"}
    first = client.post(url, json={"amount": 40}, headers=headers)
    again = client.post(url, json={"amount": 40}, headers=headers)
    assert first.status_code == again.status_code == 201 and first.json == again.json
    assert first.json["status"] == "fed" and first.json["amount_ml"] == 40
    assert session.scalar(select(func.count(FeedingLog.id))) == 1
    skip = client.post(url, json={"status": "skipped"}, headers=op)
    assert skip.status_code == 422 and "reason" in skip.json["errors"]
    recent = client.get(f"/api/v1/plants/{plants[0].uuid}/feeding/recent", headers=op).json
    assert recent["count"] == 1
    exp.status = "stopped"
    session.commit()
    stopped = client.post(url, json={}, headers=op)
    assert stopped.status_code == 409 and stopped.json["diagnostics"]["status"] == "stopped"


def test_tray_feed_and_queue(client, op, session):
    exp, trays, _plants, _r = f.make_running_experiment(session, plants=3, trays=2)
    session.commit()
    queue = client.get(f"/api/v1/experiments/{exp.id}/feeding/queue", headers=op).json
    assert queue["count"] == 3 and queue["meta"]["window_days"] == 7
    fed = client.post(f"/api/v1/trays/{trays[0].id}/feed", json={}, headers=op)
    assert fed.status_code == 201 and fed.json["count"] == 2
    queue = client.get(f"/api/v1/experiments/{exp.id}/feeding/queue", headers=op).json
    assert [i["plant_code"] for i in queue["results"]] == ["VFT-002"]


def test_notes_adverse_remove_replace(client, op, session):
    _exp, _t, plants, _r = f.make_running_experiment(session, plants=2)
    session.commit()
    base = f"/api/v1/plants/{plants[0].uuid}"
    assert client.post(f"{base}/notes", json={"text": "x" * 100_000},
                       headers=op).status_code == 422
    assert client.post(f"{base}/notes", json={"text": "ok"}, headers=op).status_code == 201
    event = client.post(f"{base}/adverse-events", json={"kind": "pest", "severity": 2},
                        headers=op)
    assert event.status_code == 201
    resolved = client.patch(f"/api/v1/adverse-events/{event.json['id']}",
                            json={"resolved": True}, headers=op)
    assert resolved.json["resolved_at"] is not None
    new = client.post(f"{base}/replace", json={"reason": "rot"}, headers=op)
    assert new.status_code == 201 and new.json["replaces"] == str(plants[0].uuid)
    old = client.get(base, headers=op).json
    assert old["status"] == "removed" and old["replaced_by"] == new.json["uuid"]
    assert new.json["location"]["tray"]["code"] == "TR1"
    twice = client.post(f"{base}/replace", json={}, headers=op)
    assert twice.status_code == 409
    removed = client.post(f"/api/v1/plants/{plants[1].uuid}/remove", json={"reason": "died"},
                          headers=op)
    assert removed.status_code == 200 and removed.json["status"] == "removed"


def test_rotation_and_events(client, op, session):
    exp, trays, _plants, _r = f.make_running_experiment(session, plants=2, trays=2)
    session.commit()
    summary = client.get(f"/api/v1/experiments/{exp.id}/rotation/summary", headers=op).json
    assert len(summary["trays"]) == 2 and summary["history"] == []
    url = f"/api/v1/experiments/{exp.id}/rotation/log"
    occupied = client.post(url, json={"tray_id": trays[0].id, "to_slot_id": trays[1].slot_id},
                           headers=op)
    assert occupied.status_code == 409 and occupied.json["diagnostics"]["occupied_by"] == "TR2"
    swapped = client.post(url, json={"tray_id": trays[0].id, "to_slot_id": trays[1].slot_id,
                                     "swap": True}, headers=op)
    assert swapped.status_code == 201 and len(swapped.json["moves"]) == 2
    events = client.get(f"/api/v1/experiments/{exp.id}/events?kind=tray.rotated",
                        headers=op).json
    assert events["count"] == 2 and events["results"][0]["kind"] == "tray.rotated"
