"""Randomised placement schemes: scheme 2 stratifies by species inside a category that holds
several; scheme 1 (the first version) stays reproducible from its seed."""

from collections import Counter

import pytest
from sqlalchemy import select

from growapp.models import Event
from growapp.services import placement as svc
from growapp.services.errors import Invalid
from tests.helpers import factories as f

# What the first version of auto_place (before schemes existed) allocated for _pitchers()
# with seed 5: plant code → recipe. Four S. purpurea (001–004) and four S. flava, grade A.
SCHEME_1_SEED_5 = {
    "SAR-001": "R0", "SAR-002": "R1", "SAR-003": "R0", "SAR-004": "R0",
    "SAR-005": "R0", "SAR-006": "R1", "SAR-007": "R1", "SAR-008": "R1",
}


def _pitchers(session):
    exp = f.make_experiment(session)
    r0, r1 = f.make_recipe(session, exp, "R0"), f.make_recipe(session, exp, "R1")
    f.make_tray(session, exp, "TR1", capacity=8, recipe=r0)
    f.make_tray(session, exp, "TR2", capacity=8, recipe=r1)
    purpurea = f.species(session, "Purple pitcher plant")
    flava = f.species(session, "Yellow trumpet")
    for n in range(1, 9):
        f.make_plant(session, exp, code=f"SAR-{n:03d}", sp=purpurea if n <= 4 else flava,
                     grade="A")
    return exp


def _by_species(result):
    names = {**dict.fromkeys(("SAR-001", "SAR-002", "SAR-003", "SAR-004"), "purpurea"),
             **dict.fromkeys(("SAR-005", "SAR-006", "SAR-007", "SAR-008"), "flava")}
    return Counter((names[p["plant_code"]], p["recipe_code"]) for p in result.placed)


def test_scheme_1_seed_reproduces_the_first_versions_allocation(session):
    exp = _pitchers(session)
    old = svc.auto_place(session, experiment_id=exp.id, actor=f.make_user(session),
                         mode="randomized", seed=5, scheme=1, apply=False)
    assert {p["plant_code"]: p["recipe_code"] for p in old.placed} == SCHEME_1_SEED_5
    assert old.scheme == 1
    assert old.strata == [{"category": "pitcher", "grade": "A", "plants": 8,
                           "allocation": {"R0": 4, "R1": 4}}]
    assert _by_species(old)[("purpurea", "R0")] == 3  # lumped: species unbalanced


@pytest.mark.parametrize("seed", [5, 11, 2024])
def test_scheme_2_splits_species_within_a_category(session, seed):
    exp = _pitchers(session)
    new = svc.auto_place(session, experiment_id=exp.id, actor=f.make_user(session),
                         mode="randomized", seed=seed, apply=False)
    assert new.scheme == svc.SCHEME == 2
    assert _by_species(new) == {(s, r): 2 for s in ("purpurea", "flava") for r in ("R0", "R1")}
    assert [(s["category"], s["species"], s["grade"], s["plants"]) for s in new.strata] == [
        ("pitcher", "Sarracenia flava", "A", 4), ("pitcher", "Sarracenia purpurea", "A", 4)]


def test_scheme_2_equals_scheme_1_when_no_category_is_mixed(session):
    exp = f.make_experiment(session)
    r0, r1 = f.make_recipe(session, exp, "R0"), f.make_recipe(session, exp, "R1")
    f.make_tray(session, exp, "TR1", capacity=9, recipe=r0)
    f.make_tray(session, exp, "TR2", capacity=9, recipe=r1)
    for n, (name, grade) in enumerate([("Venus flytrap", "A"), ("Venus flytrap", "B"),
                                       ("Cape sundew", "A")] * 3):
        f.make_plant(session, exp, code=f"P-{n:03d}", sp=f.species(session, name), grade=grade)
    user = f.make_user(session)
    one = svc.auto_place(session, experiment_id=exp.id, actor=user, mode="randomized",
                         seed=99, scheme=1, apply=False)
    two = svc.auto_place(session, experiment_id=exp.id, actor=user, mode="randomized",
                         seed=99, scheme=2, apply=False)
    assert one.placed == two.placed


def test_the_record_keeps_scheme_and_strata(session):
    exp = _pitchers(session)
    svc.auto_place(session, experiment_id=exp.id, actor=f.make_user(session),
                   mode="randomized", seed=5)
    payload = session.scalar(select(Event.payload).where(Event.kind == "placement.auto"))
    assert payload["scheme"] == 2 and payload["seed"] == 5
    assert {s["species"] for s in payload["strata"]} == {"Sarracenia flava",
                                                         "Sarracenia purpurea"}


def test_unknown_scheme_is_422(session):
    exp = _pitchers(session)
    with pytest.raises(Invalid) as err:
        svc.auto_place(session, experiment_id=exp.id, actor=f.make_user(session),
                       mode="randomized", seed=1, scheme=3)
    assert "scheme" in err.value.errors
