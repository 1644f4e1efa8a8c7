"""Plants, tents/slots, recipes, lots and trays: the setup rules."""

import pytest

from growapp.services import plants as plant_svc
from growapp.services import recipes as recipe_svc
from growapp.services import species as species_svc
from growapp.services import tents as tent_svc
from growapp.services import trays as tray_svc
from growapp.services.errors import Conflict, Forbidden, Invalid
from tests.helpers import factories as f


@pytest.fixture
def op(session):
    return f.make_user(session, "operator")


@pytest.fixture
def exp(session):
    return f.make_experiment(session)


# Plants ----------------------------------------------------------------------------------

def test_add_plants_suggests_codes_and_continues_highest(session, op, exp):
    vft = f.species(session, "Venus flytrap")
    plants = plant_svc.add_plants(session, experiment_id=exp.id, actor=op, species_id=vft.id,
                                  quantity=12, cultivar="B52")
    assert [p.plant_code for p in plants][:2] == ["VFT-001", "VFT-002"]
    assert plants[-1].plant_code == "VFT-012" and plants[0].cultivar == "B52"
    plant_svc.add_plants(session, experiment_id=exp.id, actor=op, species_id=vft.id,
                         plant_code="VFT-040")
    more = plant_svc.add_plants(session, experiment_id=exp.id, actor=op, species_id=vft.id,
                                quantity=2)
    assert [p.plant_code for p in more] == ["VFT-041", "VFT-042"]
    dro = plant_svc.add_plants(session, experiment_id=exp.id, actor=op,
                               species_id=f.species(session, "Cape sundew").id)
    assert dro[0].plant_code == "DRO-001"


@pytest.mark.parametrize("kwargs, field", [
    ({"quantity": 0}, "quantity"),
    ({"quantity": 501}, "quantity"),
    ({"quantity": 2, "plant_code": "X-1"}, "plant_code"),
    ({"plant_code": "has space"}, "plant_code"),
    ({"species_id": 999999}, "species_id"),
    ({"grade": "Z"}, "grade"),
])
def test_add_plants_rejects_bad_input(session, op, exp, kwargs, field):
    args = {"species_id": f.species(session).id, "quantity": 1, **kwargs}
    with pytest.raises(Invalid) as err:
        plant_svc.add_plants(session, experiment_id=exp.id, actor=op, **args)
    assert field in err.value.errors


def test_duplicate_code_and_running_freeze(session, op, exp):
    vft = f.species(session)
    plant_svc.add_plants(session, experiment_id=exp.id, actor=op, species_id=vft.id,
                         plant_code="A-1")
    with pytest.raises(Invalid):
        plant_svc.add_plants(session, experiment_id=exp.id, actor=op, species_id=vft.id,
                             plant_code="A-1")
    exp.status = "running"
    with pytest.raises(Conflict, match="running"):
        plant_svc.add_plants(session, experiment_id=exp.id, actor=op, species_id=vft.id)


def test_update_plant_code_only_in_draft(session, op, exp):
    plant = f.make_plant(session, exp, code="VFT-001")
    f.make_plant(session, exp, code="VFT-002")
    with pytest.raises(Invalid):
        plant_svc.update_plant(session, plant_uuid=plant.uuid, actor=op, plant_code="VFT-002")
    plant_svc.update_plant(session, plant_uuid=plant.uuid, actor=op, plant_code="VFT-101",
                           grade="B")
    assert plant.plant_code == "VFT-101" and plant.grade == "B"
    exp.status = "running"
    with pytest.raises(Conflict):
        plant_svc.update_plant(session, plant_uuid=plant.uuid, actor=op, plant_code="VFT-102")
    plant_svc.update_plant(session, plant_uuid=plant.uuid, actor=op, grade="A")  # still allowed
    assert plant.grade == "A"


def test_list_plants_filters(session, exp):
    tent = f.make_tent(session, exp)
    tray = f.make_tray(session, exp, slot=tent.slots[0])
    a = f.make_plant(session, exp, code="VFT-001", grade="A", baseline=True, tray=tray)
    b = f.make_plant(session, exp, code="VFT-002")
    total, rows = plant_svc.list_plants(session, experiment_id=exp.id, needs="placement")
    assert total == 1 and rows == [b]
    total, rows = plant_svc.list_plants(session, experiment_id=exp.id, needs="tray_recipe")
    assert rows == [a]
    total, rows = plant_svc.list_plants(session, experiment_id=exp.id, q="002")
    assert rows == [b]
    with pytest.raises(Invalid):
        plant_svc.list_plants(session, experiment_id=exp.id, needs="water")
    loc = plant_svc.locations(session, [a.id, b.id])
    assert loc[a.id].tray == tray and loc[a.id].tent == tent and not loc[b.id].placed


# Tents and slots -------------------------------------------------------------------------

def test_create_tent_generates_slots(session, op, exp):
    tent = tent_svc.create_tent(session, experiment_id=exp.id, actor=op, name="Main",
                                layout=tent_svc.uniform_layout(2, 3))
    assert tent.code == "TN1"
    assert [s.code for s in tent.slots][:4] == ["TN1-S1-P1", "TN1-S1-P2", "TN1-S1-P3",
                                                 "TN1-S2-P1"]
    second = tent_svc.create_tent(session, experiment_id=exp.id, actor=op, name="Two",
                                  layout={"schema_version": 1,
                                          "shelves": [{"index": 1, "tray_count": 1}]})
    assert second.code == "TN2"


@pytest.mark.parametrize("layout", [
    {"schema_version": 1, "shelves": []},
    {"schema_version": 1, "shelves": [{"index": 1, "tray_count": 2}, {"index": 3,
                                                                      "tray_count": 2}]},
    {"schema_version": 1, "shelves": [{"index": 1, "tray_count": -1}]},
    {"schema_version": 1, "shelves": [{"index": 1, "tray_count": 10000}]},
    {"schema_version": 2, "shelves": [{"index": 1, "tray_count": 2}]},
    {"schema_version": 1, "shelves": [{"index": 1, "tray_count": 2}, {"index": 1,
                                                                      "tray_count": 2}]},
    {"schema_version": 1, "shelves": [{"index": i, "tray_count": 50} for i in range(1, 10)]},
    "not a dict",
])
def test_bad_layouts_are_422(session, op, exp, layout):
    with pytest.raises(Invalid) as err:
        tent_svc.create_tent(session, experiment_id=exp.id, actor=op, name="X", layout=layout)
    assert "layout" in err.value.errors


def test_regenerate_keeps_occupied_or_lists_orphans(session, op, exp):
    tent = tent_svc.create_tent(session, experiment_id=exp.id, actor=op, name="Main",
                                layout=tent_svc.uniform_layout(2, 2))
    keep_ids = {s.code: s.id for s in tent.slots}
    f.make_tray(session, exp, "TR1", slot=tent.slots[3])  # TN1-S2-P2
    with pytest.raises(Conflict) as err:
        tent_svc.generate_slots(session, tent_id=tent.id, actor=op,
                                layout=tent_svc.uniform_layout(1, 3))
    assert err.value.diagnostics["orphans"] == [{"tray": "TR1", "slot": "TN1-S2-P2"}]
    tent = tent_svc.generate_slots(session, tent_id=tent.id, actor=op,
                                   layout=tent_svc.uniform_layout(3, 2))
    codes = {s.code: s.id for s in tent.slots}
    assert len(codes) == 6 and codes["TN1-S2-P2"] == keep_ids["TN1-S2-P2"]
    exp.status = "running"
    with pytest.raises(Conflict):
        tent_svc.generate_slots(session, tent_id=tent.id, actor=op)


def test_tent_restrictions_freeze_while_running(session, op, exp):
    vft = f.species(session)
    tent = tent_svc.create_tent(session, experiment_id=exp.id, actor=op, name="T",
                                layout=tent_svc.uniform_layout(1, 1), allowed_species_ids=[vft.id])
    assert tent.allowed_species == [vft]
    with pytest.raises(Invalid):
        tent_svc.update_tent(session, tent_id=tent.id, actor=op, allowed_species_ids=[999999])
    exp.status = "running"
    tent_svc.update_tent(session, tent_id=tent.id, actor=op, name="Renamed ok")
    with pytest.raises(Conflict):
        tent_svc.update_tent(session, tent_id=tent.id, actor=op, allowed_species_ids=[])


def test_delete_tent_in_use_is_refused(session, op, exp):
    tent = f.make_tent(session, exp)
    f.make_tray(session, exp, "TR9", slot=tent.slots[0])
    with pytest.raises(Conflict, match="TR9"):
        tent_svc.delete_tent(session, tent_id=tent.id, actor=op)


# Recipes and lots ------------------------------------------------------------------------

def test_recipes_r0_first_and_delete_rules(session, op, exp):
    r0 = recipe_svc.create_recipe(session, experiment_id=exp.id, actor=op, name="Control")
    r1 = recipe_svc.create_recipe(session, experiment_id=exp.id, actor=op, name="Feed",
                                  concentration="0.25", unit="g/L", volume_ml=50)
    assert (r0.code, r1.code) == ("R0", "R1") and r1.concentration == 0.25
    with pytest.raises(Invalid):
        recipe_svc.create_recipe(session, experiment_id=exp.id, actor=op, name="")
    with pytest.raises(Invalid):
        recipe_svc.create_recipe(session, experiment_id=exp.id, actor=op, name="x",
                                 volume_ml="lots")
    f.make_tray(session, exp, "TR1", recipe=r1)
    with pytest.raises(Conflict, match="TR1"):
        recipe_svc.delete_recipe(session, recipe_id=r1.id, actor=op)
    recipe_svc.delete_recipe(session, recipe_id=r0.id, actor=op)
    exp.status = "running"
    with pytest.raises(Conflict):
        recipe_svc.update_recipe(session, recipe_id=r1.id, actor=op, name="Changed")


def test_lots(session, op, exp):
    r0 = f.make_recipe(session, exp)
    lot = recipe_svc.create_lot(session, experiment_id=exp.id, actor=op, recipe_id=r0.id,
                                volume_ml=2000, ec="0.4", ph=6.1, temperature_c=21)
    assert lot.code == "L-01" and lot.ec == 0.4
    with pytest.raises(Invalid) as err:
        recipe_svc.create_lot(session, experiment_id=exp.id, actor=op, recipe_id=r0.id, ph=15)
    assert "ph" in err.value.errors
    exp.status = "running"  # lots may be mixed while running
    assert recipe_svc.create_lot(session, experiment_id=exp.id, actor=op,
                                 recipe_id=r0.id).code == "L-02"


# Trays -----------------------------------------------------------------------------------

def test_tray_rules(session, op, exp):
    vft, dro = f.species(session), f.species(session, "Cape sundew")
    open_tent = f.make_tent(session, exp, "TN1", positions=2)
    vft_only = f.make_tent(session, exp, "TN2", positions=1, allowed=[vft])
    r0 = f.make_recipe(session, exp)
    tray = tray_svc.create_tray(session, experiment_id=exp.id, actor=op, capacity=2,
                                slot_id=open_tent.slots[0].id, recipe_id=r0.id)
    assert tray.code == "TR1"
    with pytest.raises(Conflict, match="already holds tray TR1"):
        tray_svc.create_tray(session, experiment_id=exp.id, actor=op, capacity=1,
                             slot_id=open_tent.slots[0].id)
    with pytest.raises(Invalid):
        tray_svc.create_tray(session, experiment_id=exp.id, actor=op, capacity=0)
    f.make_plant(session, exp, sp=dro, tray=tray)
    f.make_plant(session, exp, sp=vft, tray=tray)
    with pytest.raises(Conflict, match="below"):
        tray_svc.update_tray(session, tray_id=tray.id, actor=op, capacity=1)
    with pytest.raises(Conflict, match="does not allow Cape sundew"):
        tray_svc.update_tray(session, tray_id=tray.id, actor=op, slot_id=vft_only.slots[0].id)
    choices = tray_svc.free_slots(session, exp.id, tray)
    assert vft_only.slots[0] not in choices and open_tent.slots[1] in choices
    tray_svc.update_tray(session, tray_id=tray.id, actor=op, slot_id=open_tent.slots[1].id)
    assert tray.slot_id == open_tent.slots[1].id
    with pytest.raises(Conflict, match="still holds"):
        tray_svc.delete_tray(session, tray_id=tray.id, actor=op)
    exp.status = "running"
    with pytest.raises(Conflict):
        tray_svc.update_tray(session, tray_id=tray.id, actor=op, recipe_id=None)
    rows = tray_svc.list_trays(session, exp.id)
    assert rows[0].occupancy == 2 and rows[0].recipe == r0


# Species and templates -------------------------------------------------------------------

def test_custom_species_and_templates(session):
    op = f.make_user(session, "operator")
    admin = f.make_user(session, "admin")
    sp = species_svc.create_species(session, actor=op, common_name="Test sundew",
                                    category="sundew")
    assert not sp.is_preset
    with pytest.raises(Invalid):
        species_svc.create_species(session, actor=op, common_name="Test sundew",
                                   category="sundew")
    with pytest.raises(Invalid):
        species_svc.create_species(session, actor=op, common_name="X", category="cactus")
    with pytest.raises(Forbidden):
        species_svc.save_template(session, actor=op, category="sundew", fields=[])
    tpl = species_svc.save_template(session, actor=admin, category="cactus", code_prefix="CAC",
                                    fields=[{"key": "spines", "label": "Spines", "type": "int",
                                             "min": 0, "max": 999}])
    assert tpl.code_prefix == "CAC"
    with pytest.raises(Invalid) as err:
        species_svc.save_template(session, actor=admin, category="cactus", fields=[
            {"key": "Bad Key", "label": "", "type": "colour"},
            {"key": "x", "label": "X", "type": "int", "min": 5, "max": 1},
            {"key": "c", "label": "C", "type": "choice"}])
    assert len(err.value.errors["fields"]) >= 4
    with pytest.raises(Conflict):
        species_svc.delete_species(session, actor=admin,
                                   species_id=f.make_plant(session, f.make_experiment(session),
                                                           sp=sp).species_id)
