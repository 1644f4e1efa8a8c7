"""Placement rules, auto-place (fill and randomised balanced), metrics and baseline."""

from collections import Counter, defaultdict

import pytest
from sqlalchemy import select

from growapp.models import AuditLog, Tray, TrayPlant
from growapp.services import metrics as metric_svc
from growapp.services import placement as svc
from growapp.services.errors import Conflict, Invalid
from tests.helpers import factories as f


@pytest.fixture
def op(session):
    return f.make_user(session, "operator")


def test_place_and_unplace(session, op):
    exp = f.make_experiment(session)
    tray = f.make_tray(session, exp, capacity=1)
    plant = f.make_plant(session, exp)
    svc.place_plant(session, tray_id=tray.id, plant_uuid=plant.uuid, actor=op)
    with pytest.raises(Conflict, match="already in tray TR1"):
        svc.place_plant(session, tray_id=tray.id, plant_uuid=plant.uuid, actor=op)
    other = f.make_plant(session, exp)
    with pytest.raises(Conflict, match=r"Tray TR1 is full \(1/1\)"):
        svc.place_plant(session, tray_id=tray.id, plant_uuid=other.uuid, actor=op)
    svc.unplace_plant(session, tray_id=tray.id, plant_uuid=plant.uuid, actor=op)
    svc.place_plant(session, tray_id=tray.id, plant_uuid=other.uuid, actor=op)


def test_place_refusals(session, op):
    exp = f.make_experiment(session)
    vft, dro = f.species(session), f.species(session, "Cape sundew")
    tent = f.make_tent(session, exp, allowed=[vft])
    tray = f.make_tray(session, exp, slot=tent.slots[0], capacity=5)
    sundew = f.make_plant(session, exp, sp=dro)
    with pytest.raises(Conflict, match="does not allow Cape sundew"):
        svc.place_plant(session, tray_id=tray.id, plant_uuid=sundew.uuid, actor=op)
    removed = f.make_plant(session, exp, status="removed")
    with pytest.raises(Conflict, match="removed"):
        svc.place_plant(session, tray_id=tray.id, plant_uuid=removed.uuid, actor=op)
    exp.status = "running"
    ok = f.make_plant(session, exp)
    with pytest.raises(Conflict, match="running"):
        svc.place_plant(session, tray_id=tray.id, plant_uuid=ok.uuid, actor=op)


def _setup(session, plants_per_stratum=(("flytrap", "A", 7), ("flytrap", "B", 5),
                                        ("sundew", "A", 6)), recipes=3, trays_per_recipe=2,
           capacity=4):
    exp = f.make_experiment(session)
    tent = f.make_tent(session, exp, positions=recipes * trays_per_recipe)
    rs = [f.make_recipe(session, exp, f"R{i}") for i in range(recipes)]
    n = 0
    for _ in range(trays_per_recipe):
        for r in rs:
            f.make_tray(session, exp, f"TR{n + 1}", capacity=capacity, slot=tent.slots[n],
                        recipe=r)
            n += 1
    names = {"flytrap": "Venus flytrap", "sundew": "Cape sundew"}
    for cat, grade, count in plants_per_stratum:
        for _ in range(count):
            f.make_plant(session, exp, sp=f.species(session, names[cat]), grade=grade)
    return exp


def test_randomized_is_reproducible_and_balanced(session, op):
    exp = _setup(session)
    first = svc.auto_place(session, experiment_id=exp.id, actor=op, mode="randomized",
                           seed=42, apply=False)
    again = svc.auto_place(session, experiment_id=exp.id, actor=op, mode="randomized",
                           seed=42, apply=False)
    other = svc.auto_place(session, experiment_id=exp.id, actor=op, mode="randomized",
                           seed=7, apply=False)
    assert first.placed == again.placed
    assert first.placed != other.placed
    assert len(first.placed) == 18 and not first.unplaceable_plants
    for stratum in first.strata:
        counts = list(stratum["allocation"].values())
        assert max(counts) - min(counts) <= 1, stratum
    per_recipe = Counter(p["recipe_code"] for p in first.placed)
    assert max(per_recipe.values()) - min(per_recipe.values()) <= 1


def test_randomized_apply_stores_seed_and_writes(session, op):
    exp = _setup(session)
    result = svc.auto_place(session, experiment_id=exp.id, actor=op, mode="randomized",
                            seed=1234)
    assert result.applied and exp.randomization_seed == 1234
    links = session.scalars(select(TrayPlant).join(Tray, Tray.id == TrayPlant.tray_id)
                            .where(Tray.experiment_id == exp.id)).all()
    assert len(links) == 18
    by_tray = defaultdict(int)
    for p in result.placed:
        by_tray[p["tray_code"]] += 1
    assert max(by_tray.values()) <= 4


def test_fill_is_deterministic_in_code_order(session, op):
    exp = _setup(session, plants_per_stratum=(("flytrap", "A", 6),), recipes=1,
                 trays_per_recipe=2, capacity=4)
    result = svc.auto_place(session, experiment_id=exp.id, actor=op, mode="fill", apply=False)
    assert [p["tray_code"] for p in result.placed] == ["TR1"] * 4 + ["TR2"] * 2
    codes = [p["plant_code"] for p in result.placed]
    assert codes == sorted(codes)


def test_unplaceable_needs_confirmation(session, op):
    exp = _setup(session, plants_per_stratum=(("flytrap", "A", 10),), recipes=1,
                 trays_per_recipe=2, capacity=4)
    with pytest.raises(Conflict) as err:
        svc.auto_place(session, experiment_id=exp.id, actor=op, mode="fill")
    assert err.value.diagnostics["reason_counts"] == {"no_capacity": 2}
    assert len(err.value.diagnostics["unplaceable_plants"]) == 2
    result = svc.auto_place(session, experiment_id=exp.id, actor=op, mode="fill",
                            allow_partial=True)
    assert len(result.placed) == 8 and result.applied


def test_tent_restriction_reason(session, op):
    exp = f.make_experiment(session)
    vft = f.species(session)
    tent = f.make_tent(session, exp, allowed=[vft])
    r0 = f.make_recipe(session, exp)
    f.make_tray(session, exp, slot=tent.slots[0], recipe=r0)
    f.make_plant(session, exp, sp=f.species(session, "Cape sundew"))
    result = svc.auto_place(session, experiment_id=exp.id, actor=op, mode="randomized",
                            seed=1, apply=False)
    assert result.reason_counts == {"tent_restriction": 1}


def test_bad_mode_and_seed(session, op):
    exp = f.make_experiment(session)
    with pytest.raises(Invalid):
        svc.auto_place(session, experiment_id=exp.id, actor=op, mode="shuffle")
    with pytest.raises(Invalid):
        svc.auto_place(session, experiment_id=exp.id, actor=op, mode="randomized", seed=-1)


# Metrics and baseline --------------------------------------------------------------------

FIELDS = [
    {"key": "leaf_count", "label": "Leaves", "type": "int", "min": 0, "max": 500},
    {"key": "diameter_mm", "label": "Diameter", "type": "float", "unit": "mm", "min": 0,
     "max": 2000},
    {"key": "vigour", "label": "Vigour", "type": "int", "min": 1, "max": 5, "required": True},
    {"key": "colour", "label": "Colour", "type": "choice", "choices": ["green", "red"]},
    {"key": "flowering", "label": "Flowering", "type": "bool"},
]


def test_validate_values_types_ranges_and_keys():
    clean = metric_svc.validate_values(FIELDS, {"leaf_count": "12", "diameter_mm": "35,5",
                                                "vigour": 4, "colour": "red",
                                                "flowering": "on"})
    assert clean == {"leaf_count": 12, "diameter_mm": 35.5, "vigour": 4, "colour": "red",
                     "flowering": True}
    with pytest.raises(Invalid) as err:
        metric_svc.validate_values(FIELDS, {"leaf_count": "1.5", "diameter_mm": "wide",
                                            "vigour": 9, "colour": "blue", "height": 3})
    e = err.value.errors
    assert set(e) == {"leaf_count", "diameter_mm", "vigour", "colour", "height"}
    assert "between 1 and 5" in e["vigour"][0]
    with pytest.raises(Invalid) as err:
        metric_svc.validate_values(FIELDS, {"leaf_count": 3})
    assert err.value.errors == {"vigour": ["Vigour is required."]}
    with pytest.raises(Invalid):
        metric_svc.validate_values(FIELDS, {"vigour": float("nan")})


def test_baseline_queue_and_lock(session, op):
    exp = f.make_ready_experiment(session, plants=1)
    todo = f.make_plant(session, exp)
    q = metric_svc.baseline_queue(session, exp.id)
    assert q.plants == [todo] and (q.done, q.total) == (1, 2)
    metric_svc.record_metrics(session, plant_uuid=todo.uuid, week_number=0,
                              values={"vigour": "3", "leaf_count": "8"}, grade="B", actor=op)
    assert todo.grade == "B"
    q = metric_svc.baseline_queue(session, exp.id)
    assert q.plants == [] and q.done == 2
    exp.status = "running"
    with pytest.raises(Conflict, match="locked"):
        metric_svc.record_metrics(session, plant_uuid=todo.uuid, week_number=0,
                                  values={"vigour": 4}, actor=op)
    admin = f.make_user(session, "admin")
    with pytest.raises(Invalid):
        metric_svc.record_metrics(session, plant_uuid=todo.uuid, week_number=0,
                                  values={"vigour": 4}, actor=admin)
    metric_svc.record_metrics(session, plant_uuid=todo.uuid, week_number=0,
                              values={"vigour": 4}, actor=admin, reason="misread the label")
    audit = session.scalars(select(AuditLog).where(AuditLog.table_name == "plant_metrics")
                            .order_by(AuditLog.id.desc())).first()
    assert audit.reason == "misread the label" and audit.changes["values"][1]["vigour"] == 4
    week = metric_svc.record_metrics(session, plant_uuid=todo.uuid, week_number=3,
                                     values={"vigour": 5}, actor=op)
    assert week.week_number == 3


def test_metrics_refusals(session, op):
    exp = f.make_experiment(session)
    plant = f.make_plant(session, exp)
    with pytest.raises(Conflict, match="start once the experiment is running"):
        metric_svc.record_metrics(session, plant_uuid=plant.uuid, week_number=1,
                                  values={"vigour": 3}, actor=op)
    with pytest.raises(Invalid):
        metric_svc.record_metrics(session, plant_uuid=plant.uuid, week_number=-1,
                                  values={"vigour": 3}, actor=op)
    gone = f.make_plant(session, exp, status="removed")
    with pytest.raises(Conflict, match="removed"):
        metric_svc.record_metrics(session, plant_uuid=gone.uuid, week_number=0,
                                  values={"vigour": 3}, actor=op)
