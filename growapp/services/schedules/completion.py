"""Completing planned occurrences: marked by someone (done or skipped, with a reason), or
done automatically when the matching work (feed, observe, photo, rotate) was logged that
day."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, tzinfo

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ...models import (
    FeedingLog,
    Photo,
    Plant,
    PlantMetric,
    RotationLog,
    ScheduleAction,
    TaskCompletion,
    Tray,
    User,
    utcnow,
)
from ..clock import zone_name, zone_of
from ..errors import Invalid
from ..events import record_event
from .manage import get_schedule
from .rules import COMPLETION_STATUSES, REASON_MAX, as_date, occurs_on, require_operator


def mark_occurrence(session: Session, *, schedule_id: int, actor: User, date: date,
                    status: str, reason: str | None = None) -> TaskCompletion:
    """Mark one planned occurrence done or skipped (a second mark replaces the first).
    Raises NotFound, Forbidden, Invalid (status, missing skip reason, date that is not an
    occurrence of the schedule)."""
    require_operator(actor)
    action = get_schedule(session, schedule_id)
    errors: dict[str, list[str]] = {}
    day = as_date(date, "date", errors, required=False)
    if day is None and "date" not in errors:
        errors["date"] = ["Choose the date of the occurrence."]
    if status not in COMPLETION_STATUSES:
        errors["status"] = ["Use “done” or “skipped”."]
    reason = (reason or "").strip()
    if status == "skipped" and not reason:
        errors["reason"] = ["Say why it was skipped."]
    elif len(reason) > REASON_MAX or "\x00" in reason:
        errors["reason"] = [f"Use at most {REASON_MAX} characters, without control characters."]
    if day is not None and "date" not in errors and not occurs_on(action.rule, day):
        errors["date"] = [f"{action.title} is not planned on {day.isoformat()}."]
    if errors:
        raise Invalid(errors=errors)

    event = record_event(
        session, kind=f"schedule.{status}", actor=actor, experiment_id=action.experiment_id,
        summary=f"{'Done' if status == 'done' else 'Skipped'}: {action.title} "
                f"({day.isoformat()})" + (f" — {reason}" if status == "skipped" else ""),
        payload={"schedule_id": action.id, "date": day.isoformat(), "status": status})
    session.flush()
    values = {"status": status, "reason": reason if status == "skipped" else "",
              "automatic": False, "event_id": event.id, "user_id": actor.id,
              "completed_at": utcnow()}

    def existing() -> TaskCompletion | None:
        return session.scalar(select(TaskCompletion).where(
            TaskCompletion.action_id == action.id, TaskCompletion.occurrence_date == day)
            .with_for_update())

    completion = existing()
    if completion is None:
        completion = TaskCompletion(action_id=action.id, occurrence_date=day, **values)
        try:
            with session.begin_nested():
                session.add(completion)
                session.flush()
            return completion
        except IntegrityError:  # marked by someone else a moment ago: update theirs
            completion = existing()
            if completion is None:  # pragma: no cover - vanished again
                raise
    for key, value in values.items():
        setattr(completion, key, value)
    session.flush()
    return completion



def _local_day(column, dialect: str, tz: tzinfo):
    """The calendar date in ``tz`` of an aware timestamp column, as SQL — or None when the
    database cannot convert zones (SQLite outside UTC: the caller converts in Python)."""
    if dialect == "postgresql":
        return func.date(func.timezone(zone_name(tz), column))
    if tz is UTC or zone_name(tz) == "UTC":
        return func.date(column)  # SQLite stores naive UTC text
    return None


def _as_day(value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def work_logged(session: Session, experiment_id: int, lo: datetime,
            hi: datetime) -> dict[str, dict[date, set[int]]]:
    """Per action type, per local date (the installation's zone): plant ids (feed,
    observe, photo) or tray ids (rotate) that had the matching work logged (voided feeds and
    measurements do not count). One grouped query per type, always all four, so the
    plan's statement count does not depend on which types are scheduled."""
    dialect = session.get_bind().dialect.name
    tz = zone_of(session)
    queries = {
        "feed": (FeedingLog.plant_id, FeedingLog.fed_at,
                 lambda s: s.join(Plant, Plant.id == FeedingLog.plant_id)
                 .where(FeedingLog.status == "fed", FeedingLog.voided_at.is_(None))),
        "observe": (PlantMetric.plant_id, PlantMetric.recorded_at,
                    lambda s: s.join(Plant, Plant.id == PlantMetric.plant_id)
                    .where(PlantMetric.voided_at.is_(None))),
        "photo": (Photo.plant_id, Photo.created_at,
                  lambda s: s.join(Plant, Plant.id == Photo.plant_id)),
        "rotate": (RotationLog.tray_id, RotationLog.moved_at,
                   lambda s: s.join(Tray, Tray.id == RotationLog.tray_id)),
    }
    out: dict[str, dict[date, set[int]]] = {}
    for kind in sorted(queries):
        key, at, join = queries[kind]
        day = _local_day(at, dialect, tz)
        owner = Tray if kind == "rotate" else Plant
        stmt = join(select(key, day if day is not None else at).distinct()).where(
            owner.experiment_id == experiment_id, at >= lo, at < hi)
        found: dict[date, set[int]] = defaultdict(set)
        for ident, d in session.execute(stmt):
            if day is None:  # a timestamp: its date where the tents are
                d = (d if d.tzinfo else d.replace(tzinfo=UTC)).astimezone(tz).date()
            found[_as_day(d)].add(ident)
        out[kind] = found
    return out



def _completion_out(row: TaskCompletion, user_name: str | None) -> dict:
    return {"status": row.status, "reason": row.reason or "", "automatic": row.automatic,
            "completed_at": row.completed_at.isoformat() if row.completed_at else None,
            "user_id": row.user_id, "user_name": user_name}



def completions_by_occurrence(session: Session, experiment_id: int, start: date,
                              end: date) -> dict[tuple[int, date], dict]:
    """Marked completions of the experiment's schedules between two dates (one query)."""
    completions: dict[tuple[int, date], dict] = {}
    for row, user_name in session.execute(
            select(TaskCompletion, User.display_name)
            .join(ScheduleAction, ScheduleAction.id == TaskCompletion.action_id)
            .outerjoin(User, User.id == TaskCompletion.user_id)
            .where(ScheduleAction.experiment_id == experiment_id,
                   TaskCompletion.occurrence_date >= start,
                   TaskCompletion.occurrence_date <= end)):
        completions[(row.action_id, row.occurrence_date)] = _completion_out(row, user_name)
    return completions
