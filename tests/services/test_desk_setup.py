"""The trial lead's desk (issue 11): bulk trays, duplicate and archive, recipe colours,
code hints, metric template fields."""

import pytest
from sqlalchemy import select

from growapp.models import Event, Tray
from growapp.services import trays as tray_service
from growapp.services.errors import Conflict, Invalid
from tests.helpers import factories as f


def test_bulk_trays_continue_the_codes(session):
    exp = f.make_experiment(session)
    user = f.make_user(session)
    f.make_tray(session, exp, "TR1")
    f.make_tray(session, exp, "TR7")
    recipe = f.make_recipe(session, exp)
    made = tray_service.create_trays(session, experiment_id=exp.id, actor=user, count=3,
                                     capacity=8, recipe_id=recipe.id)
    assert [t.code for t in made] == ["TR8", "TR9", "TR10"]
    assert {(t.capacity, t.recipe_id, t.slot_id) for t in made} == {(8, recipe.id, None)}
    event = session.scalar(select(Event).where(Event.kind == "tray.created"))
    assert event.payload["codes"] == ["TR8", "TR9", "TR10"] and "TR8–TR10" in event.summary


@pytest.mark.parametrize("count, capacity, field", [
    (0, 4, "count"), (tray_service.MAX_BULK_TRAYS + 1, 4, "count"), (True, 4, "count"),
    (2, 0, "capacity"), (2, tray_service.MAX_CAPACITY + 1, "capacity")])
def test_bulk_trays_refuse_bad_numbers(session, count, capacity, field):
    exp = f.make_experiment(session)
    with pytest.raises(Invalid) as err:
        tray_service.create_trays(session, experiment_id=exp.id, actor=f.make_user(session),
                                  count=count, capacity=capacity)
    assert field in err.value.errors
    assert session.scalar(select(Tray).where(Tray.experiment_id == exp.id)) is None


def test_bulk_trays_refuse_a_recipe_of_another_experiment(session):
    exp, other = f.make_experiment(session), f.make_experiment(session)
    with pytest.raises(Invalid) as err:
        tray_service.create_trays(session, experiment_id=exp.id, actor=f.make_user(session),
                                  count=2, capacity=4,
                                  recipe_id=f.make_recipe(session, other).id)
    assert "recipe_id" in err.value.errors


def test_bulk_trays_frozen_while_running(session):
    exp, *_ = f.make_running_experiment(session)
    with pytest.raises(Conflict):
        tray_service.create_trays(session, experiment_id=exp.id, actor=f.make_user(session),
                                  count=2, capacity=4)


def test_grade_plants_all_or_nothing(session):
    from growapp.services.grading import grade_plants

    exp = f.make_experiment(session)
    user = f.make_user(session)
    a, b = f.make_plant(session, exp), f.make_plant(session, exp, grade="C")
    other = f.make_plant(session, f.make_experiment(session))
    with pytest.raises(Invalid) as err:
        grade_plants(session, experiment_id=exp.id, actor=user,
                     grades={a.uuid: "A", other.uuid: "B"})
    assert "not a plant of this experiment" in err.value.errors["grades"][0]
    with pytest.raises(Invalid):
        grade_plants(session, experiment_id=exp.id, actor=user, grades={a.uuid: "D"})
    assert a.grade is None
    graded = grade_plants(session, experiment_id=exp.id, actor=user,
                          grades={str(a.uuid): "A", b.uuid: "B"})
    assert {p.plant_code: p.grade for p in graded} == {a.plant_code: "A", b.plant_code: "B"}
    events = session.scalars(select(Event.summary).where(Event.kind == "plant.graded")).all()
    assert sorted(events) == sorted([f"{a.plant_code} graded A",
                                     f"{b.plant_code} graded B (was C)"])


def test_grade_plants_refuses_viewers_and_removed_plants(session):
    from growapp.services.errors import Forbidden
    from growapp.services.grading import grade_plants

    exp = f.make_experiment(session)
    gone = f.make_plant(session, exp, status="removed")
    with pytest.raises(Forbidden):
        grade_plants(session, experiment_id=exp.id, actor=f.make_user(session, "viewer"),
                     grades={gone.uuid: "A"})
    with pytest.raises(Conflict):
        grade_plants(session, experiment_id=exp.id, actor=f.make_user(session),
                     grades={gone.uuid: "A"})


def test_grade_fixes_are_allowed_while_running(session):
    from growapp.services.grading import grade_plants

    exp, _trays, plants, _r = f.make_running_experiment(session)
    grade_plants(session, experiment_id=exp.id, actor=f.make_user(session),
                 grades={plants[0].uuid: "C"})
    assert plants[0].grade == "C"


@pytest.mark.parametrize("field, score", [
    ({"type": "int", "min": 1, "max": 5}, True),
    ({"type": "int", "min": 0, "max": 6}, True),
    ({"type": "int", "min": 0, "max": 500}, False),
    ({"type": "float", "min": 1, "max": 5}, False),
    ({"type": "int", "min": 1, "max": None}, False),
    ({"type": "int", "min": 1.5, "max": 5}, False),
    ({"type": "int", "min": True, "max": 5}, False)])
def test_small_whole_number_ranges_are_scores(field, score):
    from growapp.services.species import is_score

    assert is_score(field) is score


def _setup_to_copy(session):
    exp = f.make_experiment(session, name="Spring trial", description="Peat vs. sand")
    vft = f.species(session)
    tent = f.make_tent(session, exp, positions=2, allowed=[vft])
    r0, r1 = f.make_recipe(session, exp, "R0"), f.make_recipe(session, exp, "R1")
    r1.colour = "blue"
    t1 = f.make_tray(session, exp, "TR1", capacity=3, slot=tent.slots[1], recipe=r1)
    f.make_tray(session, exp, "TR2", capacity=5, recipe=r0)
    f.make_plant(session, exp, code="VFT-001", grade="A", baseline=True, tray=t1)
    f.make_plant(session, exp, code="VFT-002", status="removed")
    return exp


def test_duplicate_copies_tents_recipes_and_trays(session):
    from growapp.models import Plant, Recipe, Tent
    from growapp.services.duplicate import duplicate_experiment

    exp = _setup_to_copy(session)
    copy = duplicate_experiment(session, experiment_id=exp.id, actor=f.make_user(session))
    assert copy.name == "Spring trial (copy)" and copy.status == "draft"
    assert copy.description == "Peat vs. sand" and copy.id != exp.id
    tent = session.scalar(select(Tent).where(Tent.experiment_id == copy.id))
    assert [s.code for s in tent.slots] == ["TN1-S1-P1", "TN1-S1-P2"]
    assert [s.common_name for s in tent.allowed_species] == ["Venus flytrap"]
    recipes = {r.code: r for r in session.scalars(select(Recipe).where(
        Recipe.experiment_id == copy.id))}
    assert set(recipes) == {"R0", "R1"} and recipes["R1"].colour == "blue"
    trays = {t.code: t for t in session.scalars(select(Tray).where(
        Tray.experiment_id == copy.id))}
    assert trays["TR1"].capacity == 3 and trays["TR1"].slot_id == tent.slots[1].id
    assert trays["TR1"].recipe_id == recipes["R1"].id and trays["TR2"].slot_id is None
    assert session.scalar(select(Plant).where(Plant.experiment_id == copy.id)) is None


def test_duplicate_with_plants_copies_active_plants_fresh(session):
    from growapp.models import Plant
    from growapp.services.duplicate import duplicate_experiment
    from growapp.services.read.readiness import status_summary

    exp = _setup_to_copy(session)
    copy = duplicate_experiment(session, experiment_id=exp.id, actor=f.make_user(session),
                                name="Autumn trial", include_plants=True)
    plants = session.scalars(select(Plant).where(Plant.experiment_id == copy.id)).all()
    assert [(p.plant_code, p.grade, p.status) for p in plants] == [("VFT-001", None, "active")]
    summary = status_summary(session, copy.id)
    assert summary.setup["complete"] and summary.readiness["needs_placement"] == 1
    assert summary.readiness["needs_baseline"] == 1


def test_duplicate_refuses_viewers(session):
    from growapp.services.duplicate import duplicate_experiment
    from growapp.services.errors import Forbidden

    exp = _setup_to_copy(session)
    with pytest.raises(Forbidden):
        duplicate_experiment(session, experiment_id=exp.id, actor=f.make_user(session, "viewer"))


def test_archive_takes_the_trial_off_the_list_and_back(session):
    from growapp.services import archive
    from growapp.services.experiments import list_experiments

    exp = f.make_experiment(session, status="stopped")
    user = f.make_user(session)
    archive.archive_experiment(session, experiment_id=exp.id, actor=user)
    assert exp.archived_at is not None
    assert exp.id not in [e.id for e in list_experiments(session, limit=500)[1]]
    assert exp.id in [e.id for e in list_experiments(session, archived=True, limit=500)[1]]
    archive.unarchive_experiment(session, experiment_id=exp.id, actor=user)
    assert exp.archived_at is None
    assert exp.id in [e.id for e in list_experiments(session, limit=500)[1]]
    kinds = session.scalars(select(Event.kind).where(Event.experiment_id == exp.id)).all()
    assert kinds == ["experiment.archived", "experiment.unarchived"]


def test_archive_refuses_running_and_viewers(session):
    from growapp.services import archive
    from growapp.services.errors import Forbidden

    exp, *_ = f.make_running_experiment(session)
    with pytest.raises(Conflict):
        archive.archive_experiment(session, experiment_id=exp.id, actor=f.make_user(session))
    with pytest.raises(Forbidden):
        archive.archive_experiment(session, experiment_id=exp.id,
                                   actor=f.make_user(session, "viewer"))


def test_only_admins_delete_and_only_trials_without_history(session):
    from growapp.models import Experiment
    from growapp.services import archive
    from growapp.services.errors import Forbidden

    exp = _setup_to_copy(session)  # VFT-001 has a baseline
    with pytest.raises(Forbidden):
        archive.delete_experiment(session, experiment_id=exp.id, actor=f.make_user(session))
    admin = f.make_user(session, "admin")
    with pytest.raises(Conflict) as err:
        archive.delete_experiment(session, experiment_id=exp.id, actor=admin)
    assert err.value.diagnostics["history"] == ["measurements"]
    empty_setup = f.make_experiment(session)
    tent = f.make_tent(session, empty_setup)
    f.make_plant(session, empty_setup, tray=f.make_tray(session, empty_setup,
                                                        slot=tent.slots[0]))
    archive.delete_experiment(session, experiment_id=empty_setup.id, actor=admin)
    assert session.get(Experiment, empty_setup.id) is None


def test_new_recipes_get_a_colour_not_yet_used(session):
    from growapp.services import recipes

    exp = f.make_experiment(session)
    user = f.make_user(session)
    r0 = recipes.create_recipe(session, experiment_id=exp.id, actor=user, name="Water")
    r1 = recipes.create_recipe(session, experiment_id=exp.id, actor=user, name="Feed",
                               colour="green")
    r2 = recipes.create_recipe(session, experiment_id=exp.id, actor=user, name="Strong")
    assert (r0.colour, r1.colour, r2.colour) == ("grey", "green", "blue")
    assert recipes.suggest_colour(session, exp.id) == "orange"
