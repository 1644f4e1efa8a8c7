"""Grading many plants at once (the baseline page's bulk grading, the API)."""

from __future__ import annotations

import uuid as uuid_mod

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Plant, User
from .errors import Conflict, Forbidden, Invalid
from .events import record_event
from .experiments import get_experiment
from .plants import GRADES

MAX_GRADES = 500  # plants graded in one request


def grade_plants(session: Session, *, experiment_id: int, grades: dict, actor: User) -> list[Plant]:
    """Give each plant (uuid → "A"|"B"|"C") its grade, all or nothing; allowed while running
    (SPEC §4: grade fixes). Raises Forbidden (viewer), Invalid (grade, unknown plant, too
    many), Conflict (a removed plant)."""
    if not actor.has_role("operator"):
        raise Forbidden("Viewers cannot grade plants.")
    experiment = get_experiment(session, experiment_id)
    if not grades:
        raise Invalid("Choose a grade for at least one plant.",
                      {"grades": ["Choose a grade for at least one plant."]})
    if len(grades) > MAX_GRADES:
        raise Invalid(errors={"grades": [f"Grade at most {MAX_GRADES} plants at a time."]})
    wanted: dict[uuid_mod.UUID, str] = {}
    errors: list[str] = []
    for raw, grade in grades.items():
        try:
            key = raw if isinstance(raw, uuid_mod.UUID) else uuid_mod.UUID(str(raw))
        except ValueError:
            errors.append(f"{raw} is not a plant of this experiment.")
            continue
        if grade not in GRADES:
            errors.append(f"Grade is {', '.join(GRADES[:-1])} or {GRADES[-1]} ({raw}).")
        wanted[key] = grade
    plants = {p.uuid: p for p in session.scalars(
        select(Plant).where(Plant.experiment_id == experiment.id, Plant.uuid.in_(wanted))
        .order_by(Plant.plant_code).with_for_update())}
    errors += [f"{k} is not a plant of this experiment." for k in wanted if k not in plants]
    if errors:
        raise Invalid("Some grades could not be saved.", {"grades": errors})
    removed = [p.plant_code for p in plants.values() if p.status != "active"]
    if removed:
        raise Conflict(f"{', '.join(removed)} {'was' if len(removed) == 1 else 'were'} removed; "
                       "removed plants are not graded.", {"removed": removed})
    for plant in plants.values():
        old, plant.grade = plant.grade, wanted[plant.uuid]
        if old != plant.grade:
            record_event(session, kind="plant.graded", actor=actor,
                         experiment_id=experiment.id, plant_id=plant.id,
                         summary=f"{plant.plant_code} graded {plant.grade}"
                                 f"{f' (was {old})' if old else ''}",
                         payload={"from": old, "to": plant.grade, "bulk": True})
    session.flush()
    return list(plants.values())
