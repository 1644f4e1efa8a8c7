"""Notes and adverse events on plants; the weekly round's queue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import Session, selectinload

from ..models import AdverseEvent, Experiment, Note, Plant, PlantMetric, User, utcnow
from .clock import local_today
from .errors import Invalid, NotFound
from .events import record_event
from .plants import get_plant, require_active

MAX_NOTE = 10_000
ADVERSE_KINDS = ("pest", "disease", "damage", "stress", "other")
SEVERITIES = (1, 2, 3)
SEVERITY_LABELS = {1: "1 mild", 2: "2", 3: "3 severe"}
ADVERSE_NOTES_MAX = 5000


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
    if kind not in ADVERSE_KINDS:
        errors["kind"] = [f"Choose one of {', '.join(ADVERSE_KINDS)}."]
    try:
        severity = int(severity)
    except (TypeError, ValueError):
        severity = 0
    if severity not in SEVERITIES:
        errors["severity"] = ["Severity is 1 (mild), 2 or 3 (severe)."]
    if len(notes or "") > ADVERSE_NOTES_MAX:
        errors["notes"] = [f"Use at most {ADVERSE_NOTES_MAX:,} characters."]
    if errors:
        raise Invalid(errors=errors)
    plant = get_plant(session, plant_uuid)
    require_active(plant, "report on its replacement instead")
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
        AdverseEvent.plant_id == plant_id, AdverseEvent.resolved_at.is_(None),
        AdverseEvent.voided_at.is_(None)).order_by(AdverseEvent.observed_at.desc())))


# Weekly round ----------------------------------------------------------------------------

def current_week(experiment: Experiment, now: datetime | None = None, *,
                 tz: tzinfo = UTC) -> int:
    """Week number since the start (week 1 begins on the start day + 7 days), counted in
    calendar days of the installation's zone ``tz``: the week turns at local midnight."""
    if experiment.started_at is None:
        return 0
    days = (local_today(tz, now) - local_today(tz, experiment.started_at)).days
    return max(days // 7, 0)


@dataclass
class RoundQueue:
    week: int
    plants: list[Plant]
    done: int
    total: int


def observe_queue(session: Session, experiment_id: int, week: int, *,
                  limit: int | None = None, after: str | None = None) -> RoundQueue:
    """Active plants without week-N measurements, in code order (three queries, four when
    the round wraps). ``limit``: load only the first plants to do (the round shows one at a
    time); the counts still cover every plant. ``after`` (the code of the plant just
    measured): the plants to do from there on, then those before it — the walk starts
    where the round is instead of stepping past every plant already measured (half-way
    through a 5,000-plant round that was 2,500 probes for one plant)."""
    has_week = exists().where(PlantMetric.plant_id == Plant.id, PlantMetric.week_number == week,
                              PlantMetric.voided_at.is_(None))
    active = (Plant.experiment_id == experiment_id) & (Plant.status == "active")
    to_do = (select(Plant).where(active, ~has_week).options(selectinload(Plant.species))
             .order_by(Plant.plant_code))
    if after and limit is not None:
        plants = list(session.scalars(to_do.where(Plant.plant_code > after).limit(limit)))
        if len(plants) < limit:  # the end of the round: on from the first plant again
            plants += session.scalars(to_do.where(Plant.plant_code <= after)
                                      .limit(limit - len(plants)))
    else:
        plants = list(session.scalars(to_do.limit(limit)))
    # done: a join, not the EXISTS above: a plant has at most one week-N row, and the join
    # reads plant_metrics (plant_id, week_number, voided_at) alone (the EXISTS probes the
    # unique index, then the row for voided_at).
    week_row = and_(PlantMetric.plant_id == Plant.id, PlantMetric.week_number == week,
                    PlantMetric.voided_at.is_(None))
    total, done = session.execute(
        select(func.count(Plant.id), func.count(PlantMetric.id)).select_from(Plant)
        .outerjoin(PlantMetric, week_row).where(active)).one()
    return RoundQueue(week=week, plants=plants, done=done or 0, total=total or 0)


def previous_measurement(session: Session, plant_id: int, week: int) -> tuple[int, dict] | None:
    """The plant's latest live measurement before ``week``: (its week, its values), for
    "last week" beside the fields. One query."""
    row = session.execute(select(PlantMetric.week_number, PlantMetric.values).where(
        PlantMetric.plant_id == plant_id, PlantMetric.week_number < week,
        PlantMetric.voided_at.is_(None))
        .order_by(PlantMetric.week_number.desc()).limit(1)).first()
    return (row[0], row[1] or {}) if row else None
