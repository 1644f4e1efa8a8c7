"""Archive, un-archive and delete experiments: old trials leave the list; only admins delete,
and only trials with nothing recorded yet (anything with history is archived instead)."""

from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from ..models import (
    AdverseEvent,
    Event,
    Experiment,
    FeedingLog,
    Job,
    Lot,
    Note,
    Photo,
    Plant,
    PlantMetric,
    Recipe,
    RotationLog,
    ScheduleAction,
    Slot,
    Tent,
    Tray,
    TrayPlant,
    User,
    utcnow,
)
from .errors import Conflict, Forbidden
from .events import record_event
from .experiments import get_experiment


def _require_operator(actor: User) -> None:
    if not actor.has_role("operator"):
        raise Forbidden("Viewers can look but not archive experiments.")


def archive_experiment(session: Session, *, experiment_id: int, actor: User) -> Experiment:
    """Take a draft or stopped trial off the list. Raises Forbidden, Conflict (running)."""
    _require_operator(actor)
    experiment = get_experiment(session, experiment_id, lock=True)
    if experiment.status == "running":
        raise Conflict(f"{experiment.name} is running; stop it before archiving.",
                       {"status": experiment.status})
    if experiment.archived_at is None:
        experiment.archived_at = utcnow()
        record_event(session, kind="experiment.archived", actor=actor,
                     experiment_id=experiment.id, summary=f"Archived {experiment.name}")
    session.flush()
    return experiment


def unarchive_experiment(session: Session, *, experiment_id: int, actor: User) -> Experiment:
    _require_operator(actor)
    experiment = get_experiment(session, experiment_id, lock=True)
    if experiment.archived_at is not None:
        experiment.archived_at = None
        record_event(session, kind="experiment.unarchived", actor=actor,
                     experiment_id=experiment.id, summary=f"Brought back {experiment.name}")
    session.flush()
    return experiment


def _history(session: Session, experiment_id: int) -> list[str]:
    """What has been recorded in the trial (each blocks deletion)."""
    plant = select(Plant.id).where(Plant.experiment_id == experiment_id)
    tray = select(Tray.id).where(Tray.experiment_id == experiment_id)
    checks = {
        "measurements": exists().where(PlantMetric.plant_id.in_(plant)),
        "feedings": exists().where(FeedingLog.plant_id.in_(plant)),
        "photos": exists().where(Photo.plant_id.in_(plant)),
        "notes": exists().where(Note.plant_id.in_(plant)),
        "adverse events": exists().where(AdverseEvent.plant_id.in_(plant)),
        "rotations": exists().where(RotationLog.tray_id.in_(tray)),
        "schedules": exists().where(ScheduleAction.experiment_id == experiment_id),
        "lots": exists().where(Lot.experiment_id == experiment_id),
        "jobs": exists().where(Job.experiment_id == experiment_id),
    }
    found = session.execute(select(*(c.label(f"c{n}") for n, c in
                                     enumerate(checks.values())))).one()
    return [name for name, hit in zip(checks, found, strict=True) if hit]


def delete_experiment(session: Session, *, experiment_id: int, actor: User) -> None:
    """Delete a trial and its setup (admin). Raises Forbidden, Conflict (running, or has
    recorded history: archive it instead)."""
    if not actor.has_role("admin"):
        raise Forbidden("Only an admin can delete an experiment; archive it instead.")
    experiment = get_experiment(session, experiment_id, lock=True)
    if experiment.status == "running":
        raise Conflict(f"{experiment.name} is running; stop and archive it instead.",
                       {"status": experiment.status})
    history = _history(session, experiment.id)
    if history:
        raise Conflict(f"{experiment.name} has recorded {', '.join(history)}; "
                       "archive it instead so the data stays.", {"history": history})
    for plant in session.scalars(select(Plant).where(Plant.experiment_id == experiment.id)):
        plant.replaced_by_id = None
    session.flush()
    trays = select(Tray.id).where(Tray.experiment_id == experiment.id)
    plant_ids = select(Plant.id).where(Plant.experiment_id == experiment.id)
    for group in (  # children first: one flush per group keeps the foreign keys happy
        select(TrayPlant).where(TrayPlant.tray_id.in_(trays)),
        select(Event).where((Event.experiment_id == experiment.id)
                            | Event.plant_id.in_(plant_ids) | Event.tray_id.in_(trays)),
        select(Tray).where(Tray.experiment_id == experiment.id),
        select(Plant).where(Plant.experiment_id == experiment.id),
        select(Recipe).where(Recipe.experiment_id == experiment.id),
    ):
        for row in session.scalars(group):
            session.delete(row)
        session.flush()
    for tent in session.scalars(select(Tent).where(Tent.experiment_id == experiment.id)):
        tent.allowed_species = []
        for slot in session.scalars(select(Slot).where(Slot.tent_id == tent.id)):
            session.delete(slot)
        session.flush()
        session.delete(tent)
    session.flush()
    name = experiment.name
    session.delete(experiment)
    session.flush()
    record_event(session, kind="experiment.deleted", actor=actor, summary=f"Deleted {name}",
                 payload={"experiment_id": experiment_id})
