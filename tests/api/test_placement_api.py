"""Metrics, tray membership, auto-place and the readiness-gated start via the API."""

import pytest
from sqlalchemy import func, select

from growapp.models import PlantMetric
from tests.helpers import factories as f


@pytest.fixture
def op(api_token):
    _user, raw = api_token("operator")
    return {"Authorization": f"Bearer {raw}"}


def test_metrics_created_validated_and_idempotent(client, op, session):
    exp, _trays, plants = f.make_draft_to_place(session, plants=1)
    url = f"/api/v1/plants/{plants[0].uuid}/metrics"
    bad = client.post(url, json={"week_number": 0, "values": {"vigour": 9, "leaves": 3,
                                                                "leaf_count": "many"}},
                      headers=op)
    assert bad.status_code == 422
    assert set(bad.json["errors"]) == {"vigour", "leaves", "leaf_count"}
    missing = client.post(url, json={"week_number": 0, "values": {"leaf_count": 3}}, headers=op)
    assert missing.status_code == 422 and missing.json["errors"] == {
        "vigour": ["Vigour is required."]}
    headers = {**op, "Idempotency-Key": "baseline-vft-001"}
    body = {"week_number": 0, "values": {"vigour": 3, "leaf_count": 6}, "grade": "A"}
    first = client.post(url, json=body, headers=headers)
    again = client.post(url, json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json == again.json and again.headers["Idempotent-Replayed"] == "true"
    assert first.json["values"]["leaf_count"] == 6
    assert session.scalar(select(func.count(PlantMetric.id)).where(
        PlantMetric.plant_id == plants[0].id)) == 1
    exp.status = "running"
    session.commit()
    locked = client.post(url, json={"week_number": 0, "values": {"vigour": 4}}, headers=op)
    assert locked.status_code == 409 and locked.json["diagnostics"]["locked"] is True


def test_tray_plants_add_remove_and_conflicts(client, op, session):
    exp, trays, plants = f.make_draft_to_place(session, plants=3, capacity=2)
    url = f"/api/v1/trays/{trays[0].id}/plants"
    for p in plants[:2]:
        resp = client.post(url, json={"plant_uuid": str(p.uuid)}, headers=op)
        assert resp.status_code == 201
    assert resp.json["occupancy"] == 2 and resp.json["tray_code"] == "TR1"
    full = client.post(url, json={"plant_uuid": str(plants[2].uuid)}, headers=op)
    assert full.status_code == 409 and full.json["detail"] == "Tray TR1 is full (2/2)."
    assert full.json["diagnostics"] == {"occupancy": 2, "capacity": 2}
    again = client.post(f"/api/v1/trays/{trays[1].id}/plants",
                        json={"plant_uuid": str(plants[0].uuid)}, headers=op)
    assert again.status_code == 409 and "already in tray TR1" in again.json["detail"]
    gone = client.delete(f"{url}/{plants[0].uuid}", headers=op)
    assert gone.status_code == 204
    assert client.delete(f"{url}/{plants[0].uuid}", headers=op).status_code == 404
    listed = client.get(f"/api/v1/experiments/{exp.id}/plants?needs=placement", headers=op).json
    assert listed["count"] == 2


def test_auto_place_api(client, op, session):
    exp, _trays, _plants = f.make_draft_to_place(session, plants=5, capacity=2)
    url = f"/api/v1/experiments/{exp.id}/placement/auto"
    dry = client.post(url, json={"mode": "randomized", "seed": 5, "dry_run": True}, headers=op)
    assert dry.status_code == 200 and dry.json["applied"] is False
    assert dry.json["reason_counts"] == {"no_capacity": 1}
    assert len(dry.json["unplaceable_plants"]) == 1 and dry.json["placed_count"] == 4
    for key in ("placed", "reason_counts", "unplaceable_plants"):
        assert key in dry.json
    blocked = client.post(url, json={"mode": "randomized", "seed": 5}, headers=op)
    assert blocked.status_code == 409
    assert blocked.json["diagnostics"]["reason_counts"] == {"no_capacity": 1}
    done = client.post(url, json={"mode": "randomized", "seed": 5, "allow_partial": True},
                       headers=op)
    assert done.status_code == 200 and done.json["applied"] is True
    assert done.json["placed"] == dry.json["placed"]  # same seed, same allocation
    bad = client.post(url, json={"mode": "shuffle"}, headers=op)
    assert bad.status_code == 422


def test_ready_experiment_starts_and_freezes_placement(client, op, session):
    exp = f.make_ready_experiment(session, plants=2)
    extra = f.make_plant(session, exp, grade="A", baseline=True)
    session.commit()
    blocked = client.post(f"/api/v1/experiments/{exp.id}/start", headers=op)
    assert blocked.json["diagnostics"]["readiness"]["needs_placement"] == 1
    trays = client.get(f"/api/v1/experiments/{exp.id}/trays", headers=op).json["results"]
    tray_id = trays[0]["id"]
    client.patch(f"/api/v1/trays/{tray_id}", json={"capacity": 3}, headers=op)
    assert client.post(f"/api/v1/trays/{tray_id}/plants", json={"plant_uuid": str(extra.uuid)},
                       headers=op).status_code == 201
    assert client.post(f"/api/v1/experiments/{exp.id}/start", headers=op).status_code == 200
    frozen = client.delete(f"/api/v1/trays/{tray_id}/plants/{extra.uuid}", headers=op)
    assert frozen.status_code == 409 and "running" in frozen.json["detail"]
