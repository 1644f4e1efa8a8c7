"""Notes and adverse events on plants; the weekly round's queue; remove and replace."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session, selectinload

from ..models import AdverseEvent, Experiment, Note, Plant, PlantMetric, TrayPlant, User, utcnow
from .codes import next_codes
from .errors import Conflict, Invalid, NotFound
from .events import record_event
from .experiments import get_experiment
from .plants import code_prefix, existing_codes, get_plant

MAX_NOTE = 10_000
KINDS = ("pest", "disease", "damage", "stress", "other")


def _active(plant: Plant, what: str) -> None:
    if plant.status != "active":
        raise Conflict(f"{plant.plant_code} was removed; {what}.", {"plant_status": plant.status})


def add_note(session: Session, *, plant_uuid, text: str, actor: User) -> Note:
    """Raises Invalid (empty, over 10,000 characters), NotFound."""
    text = (text or "").strip()
    if not text:
        raise Invalid(errors={"text": ["Write something first."]})
    if len(text) > MAX_NOTE:
        raise Invalid(errors={"text": [f"Keep a note under {MAX_NOTE:,} characters "
                                       f"(this one has {len(text):,})."]})
    plant = get_plant(session, plant_uuid)
    note = Note(plant_id=plant.id, text=text, user_id=actor.id)
    session.add(note)
    session.flush()
    record_event(session, kind="plant.noted", actor=actor, experiment_id=plant.experiment_id,
                 plant_id=plant.id, summary=f"Note: {text[:200]}", payload={"note_id": note.id})
    return note


def report_adverse(session: Session, *, plant_uuid, kind: str, severity, actor: User,
                   notes: str = "", photo_id: int | None = None) -> AdverseEvent:
    errors: dict[str, list[str]] = {}
    if kind not in KINDS:
        errors["kind"] = [f"Choose one of {', '.join(KINDS)}."]
    try:
        severity = int(severity)
    except (TypeError, ValueError):
        severity = 0
    if not 1 <= severity <= 3:
        errors["severity"] = ["Severity is 1 (mild), 2 or 3 (severe)."]
    if len(notes or "") > 5000:
        errors["notes"] = ["Use at most 5,000 characters."]
    if errors:
        raise Invalid(errors=errors)
    plant = get_plant(session, plant_uuid)
    _active(plant, "report on its replacement instead")
    event = AdverseEvent(plant_id=plant.id, kind=kind, severity=severity,
                         notes=(notes or "").strip(), photo_id=photo_id, user_id=actor.id)
    session.add(event)
    session.flush()
    record_event(session, kind="plant.adverse", actor=actor, experiment_id=plant.experiment_id,
                 plant_id=plant.id, summary=f"Reported {kind} (severity {severity})"
                 + (f": {event.notes[:150]}" if event.notes else ""),
                 payload={"adverse_event_id": event.id, "kind": kind, "severity": severity})
    return event


def resolve_adverse(session: Session, *, adverse_id: int, actor: User,
                    resolved: bool = True) -> AdverseEvent:
    event = session.get(AdverseEvent, adverse_id)
    if event is None:
        raise NotFound(f"Adverse event {adverse_id} does not exist.")
    plant = session.get(Plant, event.plant_id)
    if resolved and event.resolved_at is None:
        event.resolved_at = utcnow()
        record_event(session, kind="plant.adverse_resolved", actor=actor,
                     experiment_id=plant.experiment_id, plant_id=plant.id,
                     summary=f"Resolved {event.kind} report",
                     payload={"adverse_event_id": event.id})
    elif not resolved:
        event.resolved_at = None
    session.flush()
    return event


def open_adverse(session: Session, plant_id: int) -> list[AdverseEvent]:
    return list(session.scalars(select(AdverseEvent).where(
        AdverseEvent.plant_id == plant_id, AdverseEvent.resolved_at.is_(None))
        .order_by(AdverseEvent.observed_at.desc())))


# Remove and replace ----------------------------------------------------------------------

def remove_plant(session: Session, *, plant_uuid, reason: str, actor: User) -> Plant:
    """Mark a plant removed (it leaves its tray and every queue). Raises Invalid, Conflict."""
    reason = (reason or "").strip()
    if not reason:
        raise Invalid(errors={"reason": ["Say why the plant is removed (died, pest, …)."]})
    if len(reason) > 500:
        raise Invalid(errors={"reason": ["Use at most 500 characters."]})
    plant = get_plant(session, plant_uuid, lock=True)
    _active(plant, "it is already removed")
    link = session.scalar(select(TrayPlant).where(TrayPlant.plant_id == plant.id))
    if link is not None:
        session.delete(link)
    plant.status = "removed"
    plant.removed_at = utcnow()
    plant.removed_reason = reason
    session.flush()
    record_event(session, kind="plant.removed", actor=actor, experiment_id=plant.experiment_id,
                 plant_id=plant.id, summary=f"Removed {plant.plant_code}: {reason}")
    return plant


def replace_plant(session: Session, *, plant_uuid, actor: User, reason: str = "",
                  inherit_tray: bool = True) -> Plant:
    """A new plant (new uuid and code, same species and cultivar) takes the old one's place:
    the old one is removed, the links go both ways, the tray is inherited by default, and
    the new plant needs its own baseline. A plant is replaced at most once."""
    plant = get_plant(session, plant_uuid, lock=True)
    if plant.replaced_by_id is not None:
        raise Conflict(f"{plant.plant_code} has already been replaced.",
                       {"replaced_by": plant.replaced_by_id})
    if len((reason or "").strip()) > 500:
        raise Invalid(errors={"reason": ["Use at most 500 characters."]})
    experiment = get_experiment(session, plant.experiment_id, lock=True)
    code = next_codes(existing_codes(session, experiment.id),
                      code_prefix(session, plant.species.category), width=3)[0]
    new = Plant(experiment_id=experiment.id, plant_code=code, species_id=plant.species_id,
                cultivar=plant.cultivar, grade=plant.grade, planted_on=utcnow().date())
    session.add(new)
    session.flush()
    link = session.scalar(select(TrayPlant).where(TrayPlant.plant_id == plant.id))
    tray_id = link.tray_id if link is not None else None
    if link is not None:
        if inherit_tray:
            link.plant_id = new.id  # the new plant takes the same place in the tray
        else:
            session.delete(link)
    if plant.status == "active":
        plant.status = "removed"
        plant.removed_at = utcnow()
        plant.removed_reason = (reason or "").strip() or f"replaced by {code}"
    plant.replaced_by_id = new.id
    session.flush()
    record_event(session, kind="plant.replaced", actor=actor, experiment_id=experiment.id,
                 plant_id=plant.id, tray_id=tray_id,
                 summary=f"Replaced {plant.plant_code} by {code}"
                 + (f": {reason.strip()}" if (reason or "").strip() else ""))
    record_event(session, kind="plant.created", actor=actor, experiment_id=experiment.id,
                 plant_id=new.id, tray_id=tray_id if inherit_tray else None,
                 summary=f"{code} replaces {plant.plant_code}"
                 + (" in the same tray" if tray_id and inherit_tray else ""))
    return new


# Weekly round ----------------------------------------------------------------------------

def current_week(experiment: Experiment, now: datetime | None = None) -> int:
    """Week number since the start (week 1 begins on the start day + 7 days)."""
    if experiment.started_at is None:
        return 0
    days = ((now or utcnow()) - experiment.started_at).days
    return max(days // 7, 0)


@dataclass
class RoundQueue:
    week: int
    plants: list[Plant]
    done: int
    total: int


def observe_queue(session: Session, experiment_id: int, week: int) -> RoundQueue:
    """Active plants without week-N measurements, in code order (three queries)."""
    has_week = exists().where(PlantMetric.plant_id == Plant.id, PlantMetric.week_number == week)
    active = (Plant.experiment_id == experiment_id) & (Plant.status == "active")
    plants = list(session.scalars(select(Plant).where(active, ~has_week)
                                  .options(selectinload(Plant.species))
                                  .order_by(Plant.plant_code)))
    total = session.scalar(select(func.count(Plant.id)).where(active)) or 0
    return RoundQueue(week=week, plants=plants, done=total - len(plants), total=total)
