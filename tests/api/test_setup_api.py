"""API shapes from API.md for plants, import, tents/slots, trays, recipes, lots, species."""

import io

import pytest

from tests.helpers import factories as f


@pytest.fixture
def op(api_token):
    _user, raw = api_token("operator")
    return {"Authorization": f"Bearer {raw}"}


def _exp(session, **kw):
    exp = f.make_experiment(session, **kw)
    session.commit()
    return exp


def test_plants_create_list_detail_patch(client, op, session):
    exp = _exp(session)
    vft = f.species(session)
    resp = client.post(f"/api/v1/experiments/{exp.id}/plants",
                       json={"species_id": vft.id, "quantity": 3, "cultivar": "B52"}, headers=op)
    assert resp.status_code == 201
    body = resp.json
    assert body["count"] == 3 and [p["plant_code"] for p in body["results"]] == [
        "VFT-001", "VFT-002", "VFT-003"]
    plant = body["results"][0]
    for key in ("uuid", "plant_code", "species", "cultivar", "grade", "status", "location",
                "recipe", "replaced_by", "replaces"):
        assert key in plant
    assert plant["species"]["category"] == "flytrap"
    assert plant["location"] == {"status": "unplaced", "tent": None, "slot": None, "tray": None}
    listed = client.get(f"/api/v1/experiments/{exp.id}/plants?needs=grade&limit=2",
                        headers=op).json
    assert listed["count"] == 3 and len(listed["results"]) == 2
    got = client.get(f"/api/v1/plants/{plant['uuid']}", headers=op)
    etag = got.headers["ETag"]
    patched = client.patch(f"/api/v1/plants/{plant['uuid']}", json={"grade": "B"},
                           headers={**op, "If-Match": etag})
    assert patched.status_code == 200 and patched.json["grade"] == "B"
    stale = client.patch(f"/api/v1/plants/{plant['uuid']}", json={"grade": "C"},
                         headers={**op, "If-Match": etag})
    assert stale.status_code == 412
    bad = client.patch(f"/api/v1/plants/{plant['uuid']}", json={"grade": "Z"}, headers=op)
    assert bad.status_code == 422 and "grade" in bad.json["errors"]
    assert client.get("/api/v1/plants/not-a-uuid", headers=op).status_code == 404


def test_placed_plant_location_and_recipe(client, op, session):
    exp = _exp(session)
    tent = f.make_tent(session, exp)
    r1 = f.make_recipe(session, exp, "R1")
    tray = f.make_tray(session, exp, slot=tent.slots[1], recipe=r1)
    plant = f.make_plant(session, exp, tray=tray)
    session.commit()
    body = client.get(f"/api/v1/plants/{plant.uuid}", headers=op).json
    assert body["location"]["status"] == "placed"
    assert body["location"]["tent"]["code"] == "TN1"
    assert body["location"]["slot"]["code"] == "TN1-S1-P2"
    assert body["location"]["tray"]["code"] == "TR1"
    assert body["recipe"] == {"id": r1.id, "code": "R1", "name": "Recipe R1"}


def test_plants_409_while_running(client, op, session):
    exp = _exp(session, status="running")
    resp = client.post(f"/api/v1/experiments/{exp.id}/plants",
                       json={"species_id": f.species(session).id}, headers=op)
    assert resp.status_code == 409 and resp.json["diagnostics"]["status"] == "running"


def test_csv_import_writes_by_default_dry_run_previews(client, op, session):
    exp = _exp(session)
    good = b"plant_code,species\nA-1,Venus flytrap\nA-2,Cape sundew\n"
    dry = client.post(f"/api/v1/experiments/{exp.id}/plants/import?dry_run=1",
                      data={"file": (io.BytesIO(good), "p.csv")}, headers=op)
    assert dry.status_code == 200 and dry.json["dry_run"] is True
    assert dry.json["total_rows"] == 2 and dry.json["rows"][0]["ok"] is True
    bad = b"plant_code,species\nB-1,Venus flytrap\nB-2,Nope\n"
    refused = client.post(f"/api/v1/experiments/{exp.id}/plants/import?dry_run=0",
                          data={"file": (io.BytesIO(bad), "p.csv")}, headers=op)
    assert refused.status_code == 422 and refused.json["error_rows"] == 1
    assert "line 3" in refused.json["errors"]
    done = client.post(f"/api/v1/experiments/{exp.id}/plants/import",  # API.md: writes
                       data={"file": (io.BytesIO(good), "p.csv")}, headers=op)
    assert done.status_code == 201 and done.json["created"] == 2
    assert done.json["dry_run"] is False
    missing = client.post(f"/api/v1/experiments/{exp.id}/plants/import", headers=op)
    assert missing.status_code == 422 and "file" in missing.json["errors"]


def test_tents_and_slots(client, op, session):
    exp = _exp(session)
    vft = f.species(session)
    layout = {"schema_version": 1, "shelves": [{"index": 1, "tray_count": 2},
                                               {"index": 2, "tray_count": 2}]}
    resp = client.post(f"/api/v1/experiments/{exp.id}/tents",
                       json={"name": "Main", "allowed_species_ids": [vft.id], "layout": layout},
                       headers=op)
    assert resp.status_code == 201
    tent = resp.json
    assert tent["code"] == "TN1" and tent["slot_count"] == 4
    assert tent["allowed_species_ids"] == [vft.id]
    slots = client.get(f"/api/v1/tents/{tent['id']}/slots", headers=op).json
    assert slots["count"] == 4 and slots["results"][0]["code"] == "TN1-S1-P1"
    assert slots["results"][0]["tray"] is None
    slot_id = slots["results"][3]["id"]
    tray = client.post(f"/api/v1/experiments/{exp.id}/trays",
                       json={"capacity": 4, "slot_id": slot_id}, headers=op).json
    orphan = client.post(f"/api/v1/tents/{tent['id']}/slots/generate",
                         json={"layout": {"schema_version": 1,
                                          "shelves": [{"index": 1, "tray_count": 3}]}},
                         headers=op)
    assert orphan.status_code == 409
    assert orphan.json["diagnostics"]["orphans"] == [{"tray": tray["code"], "slot": "TN1-S2-P2"}]
    grown = client.post(f"/api/v1/tents/{tent['id']}/slots/generate",
                        json={"layout": {"schema_version": 1,
                                         "shelves": [{"index": 1, "tray_count": 3},
                                                     {"index": 2, "tray_count": 3}]}},
                        headers=op)
    assert grown.status_code == 200 and grown.json["count"] == 6
    patched = client.patch(f"/api/v1/tents/{tent['id']}", json={"allowed_species_ids": []},
                           headers=op)
    assert patched.status_code == 200 and patched.json["allowed_species_ids"] == []


@pytest.mark.parametrize("layout", [
    {"schema_version": 1, "shelves": [{"index": 1, "tray_count": 10000}]},
    {"schema_version": 1, "shelves": [{"index": 2, "tray_count": 2}]},
    {"schema_version": 1, "shelves": [{"index": 1, "tray_count": -3}]},
    {"shelves": "lots"},
])
def test_bad_layouts_are_422(client, op, session, layout):
    exp = _exp(session)
    resp = client.post(f"/api/v1/experiments/{exp.id}/tents",
                       json={"name": "Bad", "layout": layout}, headers=op)
    assert resp.status_code == 422 and "layout" in resp.json["errors"]


def test_trays_and_recipes(client, op, session):
    exp = _exp(session)
    r0 = client.post(f"/api/v1/experiments/{exp.id}/recipes", json={"name": "Control"},
                     headers=op)
    assert r0.status_code == 201 and r0.json["code"] == "R0"
    r1 = client.post(f"/api/v1/experiments/{exp.id}/recipes",
                     json={"name": "Feed", "concentration": 0.25, "unit": "g/L",
                           "volume_ml": 50}, headers=op).json
    assert r1["code"] == "R1" and r1["concentration"] == 0.25
    tray = client.post(f"/api/v1/experiments/{exp.id}/trays",
                       json={"capacity": 6, "recipe_id": r1["id"]}, headers=op)
    assert tray.status_code == 201
    t = tray.json
    assert t["code"] == "TR1" and t["occupancy"] == 0 and t["recipe"]["code"] == "R1"
    assert t["slot"] is None
    cleared = client.patch(f"/api/v1/trays/{t['id']}", json={"recipe_id": None}, headers=op)
    assert cleared.status_code == 200 and cleared.json["recipe"] is None
    assert client.patch(f"/api/v1/trays/{t['id']}", json={"capacity": 0},
                        headers=op).status_code == 422
    in_use = client.patch(f"/api/v1/trays/{t['id']}", json={"recipe_id": r1["id"]}, headers=op)
    assert in_use.status_code == 200
    blocked = client.delete(f"/api/v1/recipes/{r1['id']}", headers=op)
    assert blocked.status_code == 409 and blocked.json["diagnostics"]["trays"] == ["TR1"]
    assert client.delete(f"/api/v1/recipes/{r0.json['id']}", headers=op).status_code == 204
    listed = client.get(f"/api/v1/experiments/{exp.id}/trays", headers=op).json
    assert listed["count"] == 1


def test_structure_frozen_while_running(client, op, session):
    exp = f.make_ready_experiment(session)
    exp.status = "running"
    session.commit()
    recipes = client.get(f"/api/v1/experiments/{exp.id}/recipes", headers=op).json
    rid = recipes["results"][0]["id"]
    resp = client.patch(f"/api/v1/recipes/{rid}", json={"name": "Changed"}, headers=op)
    assert resp.status_code == 409 and "running" in resp.json["detail"]
    trays = client.get(f"/api/v1/experiments/{exp.id}/trays", headers=op).json
    moved = client.patch(f"/api/v1/trays/{trays['results'][0]['id']}", json={"slot_id": None},
                         headers=op)
    assert moved.status_code == 409


def test_lots(client, op, session):
    exp = _exp(session)
    r0 = f.make_recipe(session, exp)
    session.commit()
    lot = client.post(f"/api/v1/experiments/{exp.id}/lots",
                      json={"recipe_id": r0.id, "volume_ml": 1500, "ec": 0.3, "ph": 6.0},
                      headers=op)
    assert lot.status_code == 201 and lot.json["code"] == "L-01"
    assert client.get(f"/api/v1/experiments/{exp.id}/lots", headers=op).json["count"] == 1
    bad = client.post(f"/api/v1/experiments/{exp.id}/lots", json={"recipe_id": 999999},
                      headers=op)
    assert bad.status_code == 422 and "recipe_id" in bad.json["errors"]


def test_species_post_is_admin_only(client, api_token, op):
    _u, raw = api_token("admin")
    admin = {"Authorization": f"Bearer {raw}"}
    body = {"common_name": "API sundew", "category": "sundew"}
    assert client.post("/api/v1/species", json=body, headers=op).status_code == 403
    created = client.post("/api/v1/species", json=body, headers=admin)
    assert created.status_code == 201 and created.json["category"] == "sundew"
    assert client.post("/api/v1/species", json={**body, "category": "nope"},
                       headers=admin).status_code == 422
