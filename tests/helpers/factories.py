"""Factory helpers: rows built directly, for tests that need a given state."""

from __future__ import annotations

import itertools

from sqlalchemy import select
from sqlalchemy.orm import Session

from growapp.models import (
    Experiment,
    Plant,
    PlantMetric,
    Recipe,
    Slot,
    Species,
    Tent,
    Tray,
    TrayPlant,
    User,
)
from growapp.services.users import hash_password

_seq = itertools.count(1)
PASSWORD = "correct horse battery"
_HASH = hash_password(PASSWORD)


def make_user(session: Session, role: str = "operator", email: str | None = None,
              active: bool = True) -> User:
    n = next(_seq)
    user = User(email=email or f"{role}{n}@example.com", display_name=f"{role.title()} {n}",
                password_hash=_HASH, role=role, is_active=active)
    session.add(user)
    session.flush()
    return user


def make_experiment(session: Session, name: str | None = None, status: str = "draft",
                    **kwargs) -> Experiment:
    exp = Experiment(name=name or f"Trial {next(_seq)}", status=status, **kwargs)
    session.add(exp)
    session.flush()
    return exp


def species(session: Session, common_name: str = "Venus flytrap") -> Species:
    return session.scalar(select(Species).where(Species.common_name == common_name))


def make_tent(session: Session, exp: Experiment, code: str = "TN1", shelves: int = 1,
              positions: int = 2, allowed: list[Species] | None = None) -> Tent:
    tent = Tent(experiment_id=exp.id, code=code, name=f"Tent {code}",
                layout={"schema_version": 1, "shelves": [
                    {"index": i, "tray_count": positions} for i in range(1, shelves + 1)]})
    tent.allowed_species = list(allowed or [])
    session.add(tent)
    session.flush()
    for s in range(1, shelves + 1):
        for p in range(1, positions + 1):
            session.add(Slot(tent_id=tent.id, shelf_index=s, position=p,
                             code=f"{code}-S{s}-P{p}"))
    session.flush()
    return tent


def make_recipe(session: Session, exp: Experiment, code: str = "R0") -> Recipe:
    recipe = Recipe(experiment_id=exp.id, code=code, name=f"Recipe {code}")
    session.add(recipe)
    session.flush()
    return recipe


def make_tray(session: Session, exp: Experiment, code: str = "TR1", capacity: int = 4,
              slot: Slot | None = None, recipe: Recipe | None = None) -> Tray:
    tray = Tray(experiment_id=exp.id, code=code, capacity=capacity,
                slot_id=slot.id if slot else None, recipe_id=recipe.id if recipe else None)
    session.add(tray)
    session.flush()
    return tray


def make_plant(session: Session, exp: Experiment, code: str | None = None,
               sp: Species | None = None, grade: str | None = None,
               baseline: bool = False, tray: Tray | None = None,
               status: str = "active") -> Plant:
    plant = Plant(experiment_id=exp.id, plant_code=code or f"VFT-{next(_seq):03d}",
                  species_id=(sp or species(session)).id, grade=grade, status=status)
    session.add(plant)
    session.flush()
    if baseline:
        session.add(PlantMetric(plant_id=plant.id, week_number=0, values={"vigour": 3}))
    if tray is not None:
        session.add(TrayPlant(tray_id=tray.id, plant_id=plant.id))
    session.flush()
    return plant


def make_ready_experiment(session: Session, plants: int = 2) -> Experiment:
    """An experiment that passes every readiness check."""
    exp = make_experiment(session)
    tent = make_tent(session, exp)
    recipe = make_recipe(session, exp)
    tray = make_tray(session, exp, slot=tent.slots[0], recipe=recipe, capacity=max(plants, 1))
    for _ in range(plants):
        make_plant(session, exp, grade="A", baseline=True, tray=tray)
    return exp


def make_running_experiment(session: Session, plants: int = 2, trays: int = 1,
                            capacity: int | None = None):
    """Running, placed, fed nothing yet: (experiment, trays, plants, recipe)."""
    from growapp.models import utcnow

    exp = make_experiment(session, status="running")
    exp.started_at = utcnow()
    tent = make_tent(session, exp, positions=trays + 1)
    recipe = make_recipe(session, exp, "R1")
    recipe.volume_ml = 50
    made_trays = [make_tray(session, exp, f"TR{i + 1}", capacity=capacity or max(plants, 1),
                            slot=tent.slots[i], recipe=recipe) for i in range(trays)]
    made = [make_plant(session, exp, code=f"VFT-{i + 1:03d}", grade="A", baseline=True,
                       tray=made_trays[i % trays]) for i in range(plants)]
    return exp, made_trays, made, recipe


def make_draft_to_place(session: Session, plants: int = 3, capacity: int = 2):
    """A draft with one tent of two slots, R0 and R1 trays, and unplaced plants VFT-001…;
    committed. Returns (experiment, trays, plants)."""
    exp = make_experiment(session)
    tent = make_tent(session, exp, positions=2)
    r0, r1 = make_recipe(session, exp, "R0"), make_recipe(session, exp, "R1")
    trays = [make_tray(session, exp, f"TR{i + 1}", capacity=capacity, slot=tent.slots[i],
                       recipe=r) for i, r in enumerate((r0, r1))]
    made = [make_plant(session, exp, code=f"VFT-{i + 1:03d}") for i in range(plants)]
    session.commit()
    return exp, trays, made


def sign_in_token(session: Session, user: User, *, remember: bool = False,
                  user_agent: str = "pytest") -> str:
    """A live sign-in for ``user``: put the token in a client's Flask session as
    ``_user_id`` (what login_user does) to be signed in as them."""
    from growapp.services.sessions import start_session

    _row, raw = start_session(session, user=user, user_agent=user_agent, ip="127.0.0.1",
                              remember=remember)
    return raw


def sign_in_client(session: Session, client, user: User) -> None:
    """Sign ``client`` in as ``user`` (commits)."""
    token = sign_in_token(session, user)
    session.commit()
    with client.session_transaction() as sess:
        sess["_user_id"] = token
        sess["_fresh"] = True
