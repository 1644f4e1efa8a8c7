"""API additions for the trial lead's desk (issue 11)."""

import pytest

from tests.helpers import factories as f


@pytest.fixture
def op(api_token):
    _user, raw = api_token("operator")
    return {"Authorization": f"Bearer {raw}"}


def test_bulk_trays(client, op, session):
    exp = f.make_experiment(session)
    f.make_tray(session, exp, "TR2")
    session.commit()
    resp = client.post(f"/api/v1/experiments/{exp.id}/trays/bulk", headers=op,
                       json={"count": 2, "capacity": 6})
    assert resp.status_code == 201
    assert resp.json["count"] == 2
    assert [t["code"] for t in resp.json["results"]] == ["TR3", "TR4"]
    assert resp.json["results"][0]["capacity"] == 6 and resp.json["results"][0]["slot"] is None
    bad = client.post(f"/api/v1/experiments/{exp.id}/trays/bulk", headers=op,
                      json={"count": 0, "capacity": 6})
    assert bad.status_code == 422 and "count" in bad.json["errors"]
    summary = client.get(f"/api/v1/experiments/{exp.id}/status/summary", headers=op).json
    assert summary["setup"]["trays"] is True


def test_bulk_trays_409_while_running(client, op, session):
    exp, *_ = f.make_running_experiment(session)
    session.commit()
    resp = client.post(f"/api/v1/experiments/{exp.id}/trays/bulk", headers=op,
                       json={"count": 2, "capacity": 6})
    assert resp.status_code == 409 and resp.json["detail"]


def test_grade_many(client, op, session):
    exp = f.make_experiment(session)
    a, b = f.make_plant(session, exp), f.make_plant(session, exp)
    session.commit()
    resp = client.post(f"/api/v1/experiments/{exp.id}/plants/grades", headers=op, json={
        "grades": [{"plant_uuid": str(a.uuid), "grade": "A"},
                   {"plant_uuid": str(b.uuid), "grade": "C"}]})
    assert resp.status_code == 200
    assert {p["plant_code"]: p["grade"] for p in resp.json["results"]} == {
        a.plant_code: "A", b.plant_code: "C"}
    bad = client.post(f"/api/v1/experiments/{exp.id}/plants/grades", headers=op,
                      json={"grades": [{"plant_uuid": str(a.uuid), "grade": "Q"}]})
    assert bad.status_code == 422
    empty = client.post(f"/api/v1/experiments/{exp.id}/plants/grades", headers=op,
                        json={"grades": []})
    assert empty.status_code == 422


def test_archive_duplicate_delete(client, op, api_token, session):
    exp = f.make_ready_experiment(session)
    session.commit()
    resp = client.post(f"/api/v1/experiments/{exp.id}/archive", headers=op)
    assert resp.status_code == 200 and resp.json["archived_at"]
    listed = client.get("/api/v1/experiments?limit=200", headers=op).json["results"]
    assert exp.id not in [e["id"] for e in listed]
    shelf = client.get("/api/v1/experiments?archived=true&limit=200", headers=op).json
    assert exp.id in [e["id"] for e in shelf["results"]]
    back = client.post(f"/api/v1/experiments/{exp.id}/unarchive", headers=op)
    assert back.status_code == 200 and back.json["archived_at"] is None
    copy = client.post(f"/api/v1/experiments/{exp.id}/duplicate", headers=op,
                       json={"name": "Copy via API"})
    assert copy.status_code == 201 and copy.json["status"] == "draft"
    summary = client.get(f"/api/v1/experiments/{copy.json['id']}/status/summary",
                         headers=op).json
    assert summary["setup"]["trays"] and summary["counts"]["active_plants"] == 0
    assert client.delete(f"/api/v1/experiments/{copy.json['id']}",
                         headers=op).status_code == 403
    _admin, raw = api_token("admin")
    admin = {"Authorization": f"Bearer {raw}"}
    assert client.delete(f"/api/v1/experiments/{copy.json['id']}",
                         headers=admin).status_code == 204
    refused = client.delete(f"/api/v1/experiments/{exp.id}", headers=admin)
    assert refused.status_code == 409 and refused.json["diagnostics"]["history"]


def test_auto_place_scheme_in_and_out(client, op, session):
    exp = f.make_experiment(session)
    r0, r1 = f.make_recipe(session, exp, "R0"), f.make_recipe(session, exp, "R1")
    f.make_tray(session, exp, "TR1", capacity=4, recipe=r0)
    f.make_tray(session, exp, "TR2", capacity=4, recipe=r1)
    for n, name in enumerate(["Purple pitcher plant", "Yellow trumpet"] * 2):
        f.make_plant(session, exp, code=f"SAR-{n:03d}", sp=f.species(session, name), grade="A")
    session.commit()
    url = f"/api/v1/experiments/{exp.id}/placement/auto"
    new = client.post(url, headers=op, json={"mode": "randomized", "seed": 1, "dry_run": True})
    assert new.status_code == 200 and new.json["scheme"] == 2
    assert {s["species"] for s in new.json["strata"]} == {"Sarracenia purpurea",
                                                          "Sarracenia flava"}
    old = client.post(url, headers=op, json={"mode": "randomized", "seed": 1, "scheme": 1,
                                             "dry_run": True})
    assert old.json["scheme"] == 1 and "species" not in old.json["strata"][0]
    bad = client.post(url, headers=op, json={"mode": "randomized", "scheme": 7})
    assert bad.status_code == 422
