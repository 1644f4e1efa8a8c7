"""Setup pages: full pages, HTMX fragments (incl. OOB counters), 422/409 fragments."""

import io

from sqlalchemy import func, select

from growapp.models import Lot, Plant, Recipe, Slot, Species, Tent, Tray
from tests.helpers import factories as f


def _exp(session, **kw):
    exp = f.make_experiment(session, **kw)
    session.commit()
    return exp


def test_setup_checklist_links_and_counts(login_as, session):
    client = login_as("viewer")
    exp = _exp(session)
    html = client.get(f"/experiments/{exp.id}/setup").get_data(as_text=True)
    for path in ("plants", "tents", "recipes"):
        assert f"/experiments/{exp.id}/{path}" in html
    assert "0 plants" in html


def test_add_plants_fragment_appends_rows_and_updates_counts(login_as, hx_client, session):
    client = login_as("operator", client=hx_client)
    exp = _exp(session)
    vft = f.species(session)
    resp = client.post(f"/experiments/{exp.id}/plants",
                       data={"species_id": str(vft.id), "quantity": "12", "cultivar": "B52",
                             "grade": ""})
    body = resp.get_data(as_text=True)
    assert resp.status_code == 201 and "<html" not in body
    assert 'id="plant-add-form"' in body and "Added 12 plants: VFT-001 … VFT-012" in body
    assert 'hx-swap-oob="beforeend:#plant-list"' in body and body.count('class="row-card') == 12
    assert 'id="setup-progress"' in body and 'hx-swap-oob="true"' in body
    assert 'id="plant-count"' in body and "12 plants" in body
    # the next batch keeps the species selected
    assert f'<option selected value="{vft.id}">' in body or f'value="{vft.id}" selected' in body


def test_add_plants_422_fragment(login_as, hx_client, session):
    client = login_as("operator", client=hx_client)
    exp = _exp(session)
    resp = client.post(f"/experiments/{exp.id}/plants",
                       data={"species_id": str(f.species(session).id), "quantity": "3",
                             "plant_code": "ONE-1"})
    assert resp.status_code == 422 and b"<html" not in resp.data
    assert b"Give a code only when adding one plant" in resp.data
    assert session.scalar(select(func.count(Plant.id)).where(
        Plant.experiment_id == exp.id)) == 0


def test_add_plants_409_when_running(login_as, hx_client, session):
    client = login_as("operator", client=hx_client)
    exp = _exp(session, status="running")
    resp = client.post(f"/experiments/{exp.id}/plants",
                       data={"species_id": str(f.species(session).id), "quantity": "1"})
    assert resp.status_code == 409 and b"cannot change while" in resp.data
    assert b'id="plant-add-form"' in resp.data


def test_custom_species_inline(login_as, session):
    client = login_as("operator")
    exp = _exp(session)
    resp = client.post(f"/experiments/{exp.id}/plants",
                       data={"species_id": "new", "custom_common_name": "Hybrid sundew X",
                             "custom_category": "sundew", "quantity": "2"})
    assert resp.status_code == 303
    sp = session.scalar(select(Species).where(Species.common_name == "Hybrid sundew X"))
    codes = session.scalars(select(Plant.plant_code).where(Plant.species_id == sp.id)).all()
    assert sorted(codes) == ["DRO-001", "DRO-002"]


def test_edit_plant_row(login_as, hx_client, session):
    client = login_as("operator", client=hx_client)
    exp = _exp(session)
    plant = f.make_plant(session, exp, code="VFT-001")
    f.make_plant(session, exp, code="VFT-002")
    session.commit()
    ok = client.post(f"/experiments/{exp.id}/plants/{plant.uuid}",
                     data={"plant_code": "VFT-010", "grade": "A"})
    assert ok.status_code == 200 and b"VFT-010" in ok.data and b"<html" not in ok.data
    dup = client.post(f"/experiments/{exp.id}/plants/{plant.uuid}",
                      data={"plant_code": "VFT-002", "grade": "A"})
    assert dup.status_code == 422 and b"already used" in dup.data


def test_csv_dry_run_then_confirm(login_as, hx_client, session):
    client = login_as("operator", client=hx_client)
    exp = _exp(session)
    csv = b"species,grade\nVenus flytrap,A\nCape sundew,B\n"
    dry = client.post(f"/experiments/{exp.id}/plants/import",
                      data={"file": (io.BytesIO(csv), "plants.csv")},
                      content_type="multipart/form-data")
    body = dry.get_data(as_text=True)
    assert dry.status_code == 200 and "2</strong> rows checked" in body
    assert "Import 2 plants" in body
    assert session.scalar(select(func.count(Plant.id)).where(Plant.experiment_id == exp.id)) == 0
    done = client.post(f"/experiments/{exp.id}/plants/import",
                       data={"csv_text": csv.decode(), "confirm": "1"})
    assert done.status_code == 204 and done.headers["HX-Redirect"].endswith("/plants")
    assert session.scalar(select(func.count(Plant.id)).where(Plant.experiment_id == exp.id)) == 2


def test_csv_with_errors_shows_every_row(login_as, hx_client, session):
    client = login_as("operator", client=hx_client)
    exp = _exp(session)
    csv = b"species,grade\nVenus flytrap,A\nTriffid,B\n"
    resp = client.post(f"/experiments/{exp.id}/plants/import",
                       data={"csv_text": csv.decode(), "confirm": "1"})
    body = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "Unknown species" in body and "Nothing was imported" in body
    bad = client.post(f"/experiments/{exp.id}/plants/import",
                      data={"file": (io.BytesIO(b"\x00\x01binary"), "x.csv")},
                      content_type="multipart/form-data")
    assert bad.status_code == 422 and b"binary" in bad.data


def test_tents_create_regenerate_and_orphans(login_as, hx_client, session):
    client = login_as("operator", client=hx_client)
    exp = _exp(session)
    resp = client.post(f"/experiments/{exp.id}/tents",
                       data={"name": "Main", "shelves": "2", "positions": "2"})
    assert resp.status_code == 200 and b"Tent TN1 created with 4 slots" in resp.data
    assert b'id="setup-progress"' in resp.data
    tent = session.scalar(select(Tent).where(Tent.experiment_id == exp.id))
    slot = session.scalar(select(Slot).where(Slot.tent_id == tent.id, Slot.shelf_index == 2))
    f.make_tray(session, exp, "TR7", slot=slot)
    session.commit()
    refused = client.post(f"/experiments/{exp.id}/tents/{tent.id}/slots",
                          data={"shelf_layout": "2"})
    assert refused.status_code == 409 and b"TR7 in TN1-S2-P1" in refused.data
    bad = client.post(f"/experiments/{exp.id}/tents", data={"name": "Huge",
                                                            "shelf_layout": "10000"})
    assert bad.status_code == 422 and b"tray_count must be 1" in bad.data
    gaps = client.post(f"/experiments/{exp.id}/tents", data={"name": "X", "shelf_layout": "a,b"})
    assert gaps.status_code == 422


def test_recipes_r0_then_r1_and_delete_in_use(login_as, hx_client, session):
    client = login_as("operator", client=hx_client)
    exp = _exp(session)
    first = client.post(f"/experiments/{exp.id}/recipes", data={"code": "R0",
                                                               "name": "Control"})
    assert first.status_code == 200 and b"Added R0: Control" in first.data
    assert b'value="R1"' in first.data  # the next code is suggested
    client.post(f"/experiments/{exp.id}/recipes", data={"code": "R1", "name": "Feed",
                                                         "concentration": "0.5"})
    r1 = session.scalar(select(Recipe).where(Recipe.experiment_id == exp.id,
                                             Recipe.code == "R1"))
    f.make_tray(session, exp, "TR1", recipe=r1)
    session.commit()
    resp = client.post(f"/experiments/{exp.id}/recipes/{r1.id}/delete")
    assert resp.status_code == 409 and b"TR1" in resp.data
    invalid = client.post(f"/experiments/{exp.id}/recipes", data={"name": "", "code": "R2"})
    assert invalid.status_code == 422


def test_trays_page_offers_only_valid_slots(login_as, hx_client, session):
    client = login_as("operator", client=hx_client)
    exp = _exp(session)
    vft, dro = f.species(session), f.species(session, "Cape sundew")
    open_tent = f.make_tent(session, exp, "TN1", positions=2)
    vft_only = f.make_tent(session, exp, "TN2", positions=1, allowed=[vft])
    tray = f.make_tray(session, exp, "TR1", slot=open_tent.slots[0])
    f.make_plant(session, exp, sp=dro, tray=tray)
    session.commit()
    page = client.get(f"/experiments/{exp.id}/trays", headers={"HX-Request": "false"})
    html = page.get_data(as_text=True)
    tray_form = html.split(f'id="slot-{tray.id}"')[1].split("</select>")[0]
    assert open_tent.slots[1].code in tray_form and vft_only.slots[0].code not in tray_form
    resp = client.post(f"/experiments/{exp.id}/trays", data={"capacity": "4",
                                                             "slot_id": str(vft_only.slots[0].id)})
    assert resp.status_code == 201 and b"Tray TR2 created" in resp.data
    taken = client.post(f"/experiments/{exp.id}/trays", data={"capacity": "4",
                                                              "slot_id": str(vft_only.slots[0].id)})
    assert taken.status_code == 409 and b"already holds tray TR2" in taken.data
    forbidden = client.post(f"/experiments/{exp.id}/trays/{tray.id}",
                            data={"capacity": "4", "slot_id": str(vft_only.slots[0].id),
                                  "recipe_id": ""})
    assert forbidden.status_code == 409
    shrink = client.post(f"/experiments/{exp.id}/trays/{tray.id}",
                         data={"capacity": "0", "slot_id": "", "recipe_id": ""})
    assert shrink.status_code == 422
    assert session.scalar(select(func.count(Tray.id)).where(Tray.experiment_id == exp.id)) == 2


def test_lots_page(login_as, session):
    client = login_as("operator")
    exp = _exp(session)
    r0 = f.make_recipe(session, exp)
    session.commit()
    assert client.get(f"/experiments/{exp.id}/lots").status_code == 200
    resp = client.post(f"/experiments/{exp.id}/lots", data={"recipe_id": str(r0.id),
                                                             "volume_ml": "2000", "ph": "6.2"})
    assert resp.status_code == 303
    assert session.scalar(select(Lot).where(Lot.experiment_id == exp.id)).code == "L-01"
    bad = client.post(f"/experiments/{exp.id}/lots", data={"recipe_id": str(r0.id), "ph": "20"})
    assert bad.status_code == 422 and b"from 0 to 14" in bad.data


def test_species_admin(login_as, session):
    client = login_as("admin")
    assert client.get("/admin/species").status_code == 200
    resp = client.post("/admin/species", data={"common_name": "Test pitcher",
                                               "category": "pitcher"})
    assert resp.status_code == 303
    wrong = client.post("/admin/templates", data={"category": "sundew", "f-0-key": "x",
                                                  "f-0-label": "X", "f-0-type": "nope"})
    assert wrong.status_code == 422 and b"type must be one of" in wrong.data
    ok = client.post("/admin/templates", data={"category": "sundew", "code_prefix": "DRO",
                                               "f-0-key": "x", "f-0-label": "X",
                                               "f-0-type": "int"})
    assert ok.status_code == 303
    assert login_as("operator").get("/admin/species").status_code == 403
