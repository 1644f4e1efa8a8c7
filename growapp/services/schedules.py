"""Schedules: what (action), when (weekly days or every N days, a timeframe or a time),
where (tents, trays or plants), and the plan of occurrences with their status.

A schedule is a checklist that is executed: an occurrence is done when someone marks it
(``mark_occurrence``) or, for feed / observe / rotate / photo, when the matching work was
logged that day. The plan is computed with a fixed number of queries whatever the number
of schedules, plants or days.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, literal, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from ..models import (
    ACTION_TYPES,
    TIMEFRAMES,
    FeedingLog,
    Photo,
    Plant,
    PlantMetric,
    RotationLog,
    ScheduleAction,
    ScheduleRule,
    ScheduleScope,
    Slot,
    TaskCompletion,
    Tent,
    Tray,
    TrayPlant,
    User,
    utcnow,
)
from .errors import Forbidden, Invalid, NotFound
from .events import record_event
from .experiments import get_experiment

RULE_KINDS = ("weekly", "interval")
SCOPE_TYPES = ("tent", "tray", "plant")
COMPLETION_STATUSES = ("done", "skipped")
ACTION_LABELS = {"feed": "Feed", "rotate": "Rotate trays", "observe": "Observe / measure",
                 "photo": "Photos", "water": "Water", "custom": "Other"}
TIMEFRAME_LABELS = {"morning": "Morning", "afternoon": "Afternoon", "evening": "Evening"}
WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
SCOPE_NOUNS = {"tent": ("tent", "tents"), "tray": ("tray", "trays"),
               "plant": ("plant", "plants")}
MAX_INTERVAL = 365
MAX_PLAN_DAYS = 62
MAX_ID = 2**31 - 1
UNSET = object()


def _require_operator(actor: User) -> None:
    if actor is None or not actor.has_role("operator"):
        raise Forbidden("Viewers can look at schedules but not change them.")


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


# Validation ------------------------------------------------------------------------------

def _as_date(value, key: str, errors: dict, *, required: bool) -> date | None:
    if value in (None, ""):
        if required:
            errors[key] = ["Choose a start date."]
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        errors[key] = ["Enter a date as YYYY-MM-DD."]
        return None


def _as_time(value, errors: dict) -> time | None:
    if value in (None, ""):
        return None
    if isinstance(value, time):
        return value.replace(second=0, microsecond=0, tzinfo=None)
    try:
        return time.fromisoformat(str(value)).replace(second=0, microsecond=0, tzinfo=None)
    except ValueError:
        errors["exact_time"] = ["Enter a time as HH:MM."]
        return None


def _clean_text(fields: dict, errors: dict) -> dict:
    clean = {}
    if "title" in fields:
        title = (fields["title"] or "").strip()
        if not title:
            errors["title"] = ["Give the schedule a title, e.g. “Feed R1 trays”."]
        elif len(title) > 120:
            errors["title"] = ["Use at most 120 characters."]
        clean["title"] = title
    if "notes" in fields:
        notes = fields["notes"] or ""
        if len(notes) > 5000:
            errors["notes"] = ["Use at most 5,000 characters."]
        clean["notes"] = notes
    for key, value in clean.items():
        if "\x00" in value:  # PostgreSQL refuses NUL in text
            errors[key] = ["Remove the invisible control characters."]
    return clean


def _clean_when(timeframe, exact_time, errors: dict) -> tuple[str | None, time | None]:
    timeframe = timeframe or None
    exact = _as_time(exact_time, errors)
    if timeframe is not None and timeframe not in TIMEFRAMES:
        errors["timeframe"] = ["Choose morning, afternoon or evening."]
    elif "exact_time" not in errors:
        if timeframe is None and exact is None:
            errors["timeframe"] = ["Choose morning, afternoon or evening, or an exact time."]
        elif timeframe is not None and exact is not None:
            errors["timeframe"] = ["Choose a timeframe or an exact time, not both."]
    return timeframe, exact


def _int_or_none(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def _clean_rule(rule, errors: dict) -> dict:
    if not isinstance(rule, dict):
        errors["rule"] = ["Choose days of the week or every N days."]
        return {}
    kind = rule.get("kind")
    if kind not in RULE_KINDS:
        errors["rule.kind"] = ["Choose “weekly” (days of the week) or “interval” (every N days)."]
        return {}
    if kind == "weekly":
        raw = rule.get("weekdays") or []
        days = [_int_or_none(d) for d in (raw if isinstance(raw, list | tuple) else [raw])]
        if any(d is None or not 0 <= d <= 6 for d in days):
            errors["rule.weekdays"] = ["Days are 0 (Monday) to 6 (Sunday)."]
            return {}
        if not days:
            errors["rule.weekdays"] = ["Choose at least one day."]
            return {}
        return {"kind": "weekly", "weekdays": sorted(set(days)), "every_days": None}
    every = _int_or_none(rule.get("every_days"))
    if every is None or not 1 <= every <= MAX_INTERVAL:
        errors["rule.every_days"] = [f"Repeat every 1 to {MAX_INTERVAL} days."]
        return {}
    return {"kind": "interval", "weekdays": [], "every_days": every}


def _clean_scope(session: Session, scope, experiment_id: int, errors: dict) -> dict:
    if not isinstance(scope, dict):
        errors["scope"] = ["Choose tents, trays or plants."]
        return {}
    kind = scope.get("type")
    if kind not in SCOPE_TYPES:
        errors["scope.type"] = ["Choose tents, trays or plants."]
        return {}
    raw = scope.get("ids") or []
    raw_list = list(raw) if isinstance(raw, list | tuple) else [raw]
    ids = [_int_or_none(i) for i in raw_list]
    one, many = SCOPE_NOUNS[kind]
    if not ids:
        errors["scope.ids"] = [f"Choose at least one {one}."]
        return {}
    wanted = {i for i in ids if i is not None and 1 <= i <= MAX_ID}
    found: dict[int, tuple[str, str]] = {}
    if wanted:
        if kind == "plant":
            stmt = select(Plant.id, Plant.plant_code, Plant.status).where(
                Plant.id.in_(wanted), Plant.experiment_id == experiment_id)
        else:
            model = Tent if kind == "tent" else Tray
            stmt = select(model.id, model.code, literal("active")).where(
                model.id.in_(wanted), model.experiment_id == experiment_id)
        found = {i: (code, status) for i, code, status in session.execute(stmt)}
    missing = sorted({str(r) for r, i in zip(raw_list, ids, strict=True) if i not in found},
                     key=lambda s: (len(s), s))
    messages = []
    if missing:
        messages.append(f"Not {many} of this experiment: {', '.join(missing)}.")
    if kind == "plant":
        removed = sorted(code for code, status in found.values() if status != "active")
        if removed:
            messages.append(f"Removed plants cannot be scheduled: {', '.join(removed)}.")
    if messages:
        errors["scope.ids"] = messages
        return {}
    return {"type": kind, "ids": sorted(found)}


# Reads -----------------------------------------------------------------------------------

def get_schedule(session: Session, schedule_id: int) -> ScheduleAction:
    """One schedule with its rule and scopes. Raises NotFound."""
    action = session.scalar(
        select(ScheduleAction).where(ScheduleAction.id == schedule_id)
        .options(selectinload(ScheduleAction.rule), selectinload(ScheduleAction.scopes)))
    if action is None:
        raise NotFound(f"Schedule {schedule_id} does not exist.")
    return action


def list_schedules(session: Session, experiment_id: int, *,
                   active_only: bool = False) -> list[ScheduleAction]:
    """Schedules of an experiment with rule and scopes loaded (three queries)."""
    stmt = (select(ScheduleAction).where(ScheduleAction.experiment_id == experiment_id)
            .options(selectinload(ScheduleAction.rule), selectinload(ScheduleAction.scopes))
            .order_by(ScheduleAction.is_active.desc(), ScheduleAction.title, ScheduleAction.id))
    if active_only:
        stmt = stmt.where(ScheduleAction.is_active.is_(True))
    return list(session.scalars(stmt))


def _scope_of(action: ScheduleAction) -> tuple[str, list[int]]:
    scopes = action.scopes
    if not scopes:
        return "tray", []
    kind = scopes[0].scope_type
    ids = sorted(getattr(s, f"{s.scope_type}_id") for s in scopes)
    return kind, ids


def _scope_codes(session: Session, actions: list[ScheduleAction]) -> dict[tuple[str, int], str]:
    """Codes of every tent, tray and plant named by ``actions`` (one query per type used)."""
    wanted: dict[str, set[int]] = defaultdict(set)
    for action in actions:
        kind, ids = _scope_of(action)
        wanted[kind].update(ids)
    codes: dict[tuple[str, int], str] = {}
    for kind, ids in wanted.items():
        if not ids:
            continue
        model = {"tent": Tent, "tray": Tray, "plant": Plant}[kind]
        col = Plant.plant_code if kind == "plant" else model.code
        for i, code in session.execute(select(model.id, col).where(model.id.in_(ids))):
            codes[(kind, i)] = code
    return codes


def describe_when(rule: ScheduleRule, timeframe: str | None, exact_time: time | None) -> str:
    """'Mon, Wed, Fri · morning', 'Every day · 09:30', 'Every 3 days · evening'."""
    if rule.kind == "weekly":
        days = list(rule.weekdays or [])
        if days == list(range(7)):
            when = "Every day"
        elif days == list(range(5)):
            when = "Weekdays"
        else:
            when = ", ".join(WEEKDAY_NAMES[d] for d in days)
    else:
        when = "Every day" if rule.every_days == 1 else f"Every {rule.every_days} days"
    at = exact_time.strftime("%H:%M") if exact_time else (timeframe or "")
    return f"{when} · {at}" if at else when


def schedule_summaries(session: Session, actions: list[ScheduleAction]) -> list[dict]:
    """Plain dicts (the API's schedule shape plus ``description``), codes resolved in bulk."""
    codes = _scope_codes(session, actions)
    out = []
    for a in actions:
        kind, ids = _scope_of(a)
        rule = a.rule
        out.append({
            "id": a.id, "experiment_id": a.experiment_id, "action_type": a.action_type,
            "title": a.title, "notes": a.notes or "", "timeframe": a.timeframe,
            "exact_time": a.exact_time.strftime("%H:%M") if a.exact_time else None,
            "is_active": a.is_active,
            "rule": {"kind": rule.kind, "weekdays": list(rule.weekdays or []),
                     "every_days": rule.every_days},
            "start_date": rule.start_date, "end_date": rule.end_date,
            "scope": {"type": kind, "ids": ids,
                      "codes": [codes.get((kind, i), f"#{i}") for i in ids]},
            "description": describe_when(rule, a.timeframe, a.exact_time),
            "created_at": a.created_at, "updated_at": a.updated_at,
        })
    return out


# Writes ----------------------------------------------------------------------------------

def create_schedule(session: Session, *, experiment_id: int, actor: User, action_type: str,
                    title: str, notes: str = "", timeframe: str | None = None,
                    exact_time: time | str | None = None, rule: dict, start_date: date,
                    end_date: date | None = None, scope: dict) -> ScheduleAction:
    """Plan recurring work. Raises NotFound (experiment), Forbidden (viewer) and Invalid
    with field errors keyed like the API body (``title``, ``rule.weekdays``, ``scope.ids``,
    ``end_date``, ``timeframe``…)."""
    _require_operator(actor)
    experiment = get_experiment(session, experiment_id)
    errors: dict[str, list[str]] = {}
    if action_type not in ACTION_TYPES:
        errors["action_type"] = [f"Choose one of {', '.join(ACTION_TYPES)}."]
    text = _clean_text({"title": title, "notes": notes}, errors)
    timeframe, exact = _clean_when(timeframe, exact_time, errors)
    clean_rule = _clean_rule(rule, errors)
    start = _as_date(start_date, "start_date", errors, required=True)
    end = _as_date(end_date, "end_date", errors, required=False)
    if start and end and end < start:
        errors["end_date"] = ["The end date is before the start date."]
    clean_scope = _clean_scope(session, scope, experiment.id, errors)
    if errors:
        raise Invalid(errors=errors)

    action = ScheduleAction(experiment_id=experiment.id, action_type=action_type,
                            title=text["title"], notes=text["notes"], timeframe=timeframe,
                            exact_time=exact, is_active=True)
    action.rule = ScheduleRule(kind=clean_rule["kind"], weekdays=clean_rule["weekdays"],
                               every_days=clean_rule["every_days"], start_date=start,
                               end_date=end)
    kind = clean_scope["type"]
    action.scopes = [ScheduleScope(scope_type=kind, **{f"{kind}_id": i})
                     for i in clean_scope["ids"]]
    session.add(action)
    session.flush()
    record_event(session, kind="schedule.created", actor=actor, experiment_id=experiment.id,
                 summary=f"Scheduled {action.title} "
                         f"({describe_when(action.rule, timeframe, exact)}, "
                         f"{_plural(len(clean_scope['ids']), *SCOPE_NOUNS[kind])})",
                 payload={"schedule_id": action.id, "action_type": action_type})
    return action


def update_schedule(session: Session, *, schedule_id: int, actor: User, title=UNSET,
                    notes=UNSET, timeframe=UNSET, exact_time=UNSET, is_active=UNSET,
                    end_date=UNSET) -> ScheduleAction:
    """Edit a schedule. Giving a timeframe clears the exact time and vice versa (unless
    both are given). Raises NotFound, Forbidden, Invalid (title, timeframe/exact_time,
    end_date before start_date)."""
    _require_operator(actor)
    action = get_schedule(session, schedule_id)
    errors: dict[str, list[str]] = {}
    fields = {k: v for k, v in (("title", title), ("notes", notes)) if v is not UNSET}
    text = _clean_text(fields, errors)
    new_tf, new_exact = action.timeframe, action.exact_time
    if timeframe is not UNSET or exact_time is not UNSET:
        new_tf = timeframe if timeframe is not UNSET else (
            None if exact_time not in (None, "") else action.timeframe)
        new_exact = exact_time if exact_time is not UNSET else (
            None if timeframe not in (None, "") else action.exact_time)
        new_tf, new_exact = _clean_when(new_tf, new_exact, errors)
    new_end = action.rule.end_date
    if end_date is not UNSET:
        new_end = _as_date(end_date, "end_date", errors, required=False)
        if new_end and new_end < action.rule.start_date:
            errors["end_date"] = ["The end date is before the start date."]
    if is_active is not UNSET and not isinstance(is_active, bool):
        errors["is_active"] = ["Use true or false."]
    if errors:
        raise Invalid(errors=errors)

    changes = []
    for key, value in text.items():
        if getattr(action, key) != value:
            setattr(action, key, value)
            changes.append(key)
    if (new_tf, new_exact) != (action.timeframe, action.exact_time):
        action.timeframe, action.exact_time = new_tf, new_exact
        changes.append("time")
    if new_end != action.rule.end_date:
        action.rule.end_date = new_end
        changes.append("end date")
    kind = "schedule.updated"
    if is_active is not UNSET and is_active != action.is_active:
        action.is_active = is_active
        kind = "schedule.resumed" if is_active else "schedule.paused"
        changes.append("resumed" if is_active else "paused")
    session.flush()
    if changes:
        verb = {"schedule.resumed": "Resumed", "schedule.paused": "Paused"}.get(kind, "Edited")
        record_event(session, kind=kind, actor=actor, experiment_id=action.experiment_id,
                     summary=f"{verb} schedule {action.title}",
                     payload={"schedule_id": action.id, "changed": changes})
    return action


def delete_schedule(session: Session, *, schedule_id: int, actor: User) -> None:
    """Delete a schedule with its rule, scopes and completions. Raises NotFound, Forbidden."""
    _require_operator(actor)
    action = get_schedule(session, schedule_id)
    # Deleted through the ORM (not only ON DELETE CASCADE) so the audit log sees each row.
    for completion in session.scalars(
            select(TaskCompletion).where(TaskCompletion.action_id == action.id)):
        session.delete(completion)
    for scope in action.scopes:
        session.delete(scope)
    if action.rule is not None:
        session.delete(action.rule)
    session.delete(action)
    session.flush()
    record_event(session, kind="schedule.deleted", actor=actor,
                 experiment_id=action.experiment_id, summary=f"Deleted schedule {action.title}",
                 payload={"schedule_id": schedule_id})


def occurs_on(rule: ScheduleRule, day: date) -> bool:
    """Whether ``rule`` has an occurrence on ``day``."""
    if day < rule.start_date or (rule.end_date is not None and day > rule.end_date):
        return False
    if rule.kind == "weekly":
        return day.weekday() in (rule.weekdays or [])
    return (day - rule.start_date).days % (rule.every_days or 1) == 0


def mark_occurrence(session: Session, *, schedule_id: int, actor: User, date: date,
                    status: str, reason: str | None = None) -> TaskCompletion:
    """Mark one planned occurrence done or skipped (a second mark replaces the first).
    Raises NotFound, Forbidden, Invalid (status, missing skip reason, date that is not an
    occurrence of the schedule)."""
    _require_operator(actor)
    action = get_schedule(session, schedule_id)
    errors: dict[str, list[str]] = {}
    day = _as_date(date, "date", errors, required=False)
    if day is None and "date" not in errors:
        errors["date"] = ["Choose the date of the occurrence."]
    if status not in COMPLETION_STATUSES:
        errors["status"] = ["Use “done” or “skipped”."]
    reason = (reason or "").strip()
    if status == "skipped" and not reason:
        errors["reason"] = ["Say why it was skipped."]
    elif len(reason) > 500 or "\x00" in reason:
        errors["reason"] = ["Use at most 500 characters, without control characters."]
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


# The plan --------------------------------------------------------------------------------

@dataclass
class _Places:
    """What the plan needs to know about the experiment's plants, trays and tents."""

    plant_code: dict[int, str] = field(default_factory=dict)
    plant_active: dict[int, bool] = field(default_factory=dict)
    plant_tray: dict[int, int] = field(default_factory=dict)
    tray_code: dict[int, str] = field(default_factory=dict)
    tray_slot: dict[int, int | None] = field(default_factory=dict)
    tray_recipe: dict[int, int | None] = field(default_factory=dict)
    tray_tent: dict[int, int | None] = field(default_factory=dict)
    tray_plants: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    tent_code: dict[int, str] = field(default_factory=dict)


@dataclass
class _Resolved:
    kind: str
    ids: list[int]
    codes: list[str]
    plants: set[int]  # active plants in scope
    trays: set[int]   # trays in scope (tent: in its slots; plant: the plants' trays)


def _load_places(session: Session, experiment_id: int) -> _Places:
    p = _Places()
    for pid, code, status, tray_id in session.execute(
            select(Plant.id, Plant.plant_code, Plant.status, TrayPlant.tray_id)
            .outerjoin(TrayPlant, TrayPlant.plant_id == Plant.id)
            .where(Plant.experiment_id == experiment_id)):
        p.plant_code[pid] = code
        p.plant_active[pid] = status == "active"
        if tray_id is not None:
            p.plant_tray[pid] = tray_id
            if status == "active":
                p.tray_plants[tray_id].append(pid)
    for tid, code, slot_id, recipe_id, tent_id in session.execute(
            select(Tray.id, Tray.code, Tray.slot_id, Tray.recipe_id, Slot.tent_id)
            .outerjoin(Slot, Slot.id == Tray.slot_id)
            .where(Tray.experiment_id == experiment_id)):
        p.tray_code[tid] = code
        p.tray_slot[tid] = slot_id
        p.tray_recipe[tid] = recipe_id
        p.tray_tent[tid] = tent_id
    p.tent_code = dict(session.execute(
        select(Tent.id, Tent.code).where(Tent.experiment_id == experiment_id)).all())
    return p


def _resolve(action: ScheduleAction, places: _Places) -> _Resolved:
    kind, ids = _scope_of(action)
    if kind == "tent":
        wanted = set(ids)
        trays = {t for t, tent in places.tray_tent.items() if tent in wanted}
        plants = {pid for t in trays for pid in places.tray_plants.get(t, ())}
        codes = [places.tent_code.get(i, f"#{i}") for i in ids]
    elif kind == "tray":
        trays = {i for i in ids if i in places.tray_code}
        plants = {pid for t in trays for pid in places.tray_plants.get(t, ())}
        codes = [places.tray_code.get(i, f"#{i}") for i in ids]
    else:
        plants = {i for i in ids if places.plant_active.get(i)}
        trays = {places.plant_tray[i] for i in plants if i in places.plant_tray}
        codes = [places.plant_code.get(i, f"#{i}") for i in ids]
    return _Resolved(kind, ids, codes, plants, trays)


def _utc_day(column, dialect: str):
    """The UTC calendar date of an aware timestamp column, as SQL."""
    if dialect == "postgresql":
        return func.date(func.timezone("UTC", column))
    return func.date(column)  # SQLite stores naive UTC text


def _as_day(value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _logged(session: Session, experiment_id: int, lo: datetime,
            hi: datetime) -> dict[str, dict[date, set[int]]]:
    """Per action type, per UTC date: plant ids (feed, observe, photo) or tray ids (rotate)
    that had the matching work logged. One grouped query per type, always all four, so the
    plan's statement count does not depend on which types are scheduled."""
    dialect = session.get_bind().dialect.name
    queries = {
        "feed": (FeedingLog.plant_id, FeedingLog.fed_at,
                 lambda s: s.join(Plant, Plant.id == FeedingLog.plant_id)
                 .where(FeedingLog.status == "fed")),
        "observe": (PlantMetric.plant_id, PlantMetric.recorded_at,
                    lambda s: s.join(Plant, Plant.id == PlantMetric.plant_id)),
        "photo": (Photo.plant_id, Photo.created_at,
                  lambda s: s.join(Plant, Plant.id == Photo.plant_id)),
        "rotate": (RotationLog.tray_id, RotationLog.moved_at,
                   lambda s: s.join(Tray, Tray.id == RotationLog.tray_id)),
    }
    out: dict[str, dict[date, set[int]]] = {}
    for kind in sorted(queries):
        key, at, join = queries[kind]
        day = _utc_day(at, dialect)
        owner = Tray if kind == "rotate" else Plant
        stmt = join(select(key, day).distinct()).where(
            owner.experiment_id == experiment_id, at >= lo, at < hi)
        found: dict[date, set[int]] = defaultdict(set)
        for ident, d in session.execute(stmt):
            found[_as_day(d)].add(ident)
        out[kind] = found
    return out


def _blockers(action: ScheduleAction, scope: _Resolved, places: _Places,
              running: bool) -> list[str]:
    out = [] if running else ["Experiment is not running"]
    if action.action_type == "feed":
        if not scope.plants:
            out.append("No active plants in scope")
        unplaced = sum(1 for pid in scope.plants if pid not in places.plant_tray)
        if unplaced:
            out.append(f"{_plural(unplaced, 'plant', 'plants')} not placed")
        fed_trays = {places.plant_tray[pid] for pid in scope.plants if pid in places.plant_tray}
        if any(places.tray_recipe.get(t) is None for t in fed_trays):
            out.append("Needs tray recipe")
    elif action.action_type == "rotate":
        if not any(places.tray_slot.get(t) for t in scope.trays):
            out.append("No trays in slots")
    elif action.action_type in ("observe", "photo") and not scope.plants:
        out.append("No active plants in scope")
    return out


def _auto_done(action_type: str, scope: _Resolved, day: date,
               logged: dict[str, dict[date, set[int]]]) -> bool:
    by_day = logged.get(action_type)
    if by_day is None:
        return False
    done = by_day.get(day, set())
    if action_type == "rotate":
        return bool(scope.trays & done)
    return bool(scope.plants) and scope.plants <= done


def _group_key(action: ScheduleAction) -> tuple:
    if action.exact_time is not None:
        return (1, action.exact_time.strftime("%H:%M"))
    return (0, TIMEFRAMES.index(action.timeframe) if action.timeframe in TIMEFRAMES else 9)


def _completion_out(row: TaskCompletion, user_name: str | None) -> dict:
    return {"status": row.status, "reason": row.reason or "", "automatic": row.automatic,
            "completed_at": row.completed_at.isoformat() if row.completed_at else None,
            "user_id": row.user_id, "user_name": user_name}


def plan(session: Session, *, experiment_id: int, start: date, days: int = 14,
         today: date | None = None) -> dict:
    """Occurrences of the active schedules from ``start`` for ``days`` days, grouped by
    day then timeframe / time, each with status, blockers and completion (API.md shape).

    Uses a fixed number of queries whatever the number of schedules, plants or days.
    Raises NotFound (experiment), Invalid (days outside 1–62, dates out of range)."""
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_PLAN_DAYS:
        raise Invalid(errors={"days": [f"Plan 1 to {MAX_PLAN_DAYS} days."]})
    try:
        end = start + timedelta(days=days - 1)
        lo = datetime.combine(start, time.min, UTC)
        hi = datetime.combine(end + timedelta(days=1), time.min, UTC)
    except OverflowError as exc:
        raise Invalid(errors={"from": ["Choose a date between 0001-01-01 and 9999-12-31."]}) \
            from exc
    today = today or utcnow().date()
    experiment = get_experiment(session, experiment_id)
    actions = list_schedules(session, experiment_id, active_only=True)
    dates = [start + timedelta(days=i) for i in range(days)]
    if not actions:
        return {"days": [{"date": d.isoformat(), "groups": []} for d in dates]}

    places = _load_places(session, experiment_id)
    completions: dict[tuple[int, date], dict] = {}
    for row, user_name in session.execute(
            select(TaskCompletion, User.display_name)
            .join(ScheduleAction, ScheduleAction.id == TaskCompletion.action_id)
            .outerjoin(User, User.id == TaskCompletion.user_id)
            .where(ScheduleAction.experiment_id == experiment_id,
                   TaskCompletion.occurrence_date >= start,
                   TaskCompletion.occurrence_date <= end)):
        completions[(row.action_id, row.occurrence_date)] = _completion_out(row, user_name)
    logged = _logged(session, experiment_id, lo, hi)

    running = experiment.status == "running"
    resolved = {a.id: _resolve(a, places) for a in actions}
    blockers = {a.id: _blockers(a, resolved[a.id], places, running) for a in actions}
    ordered = sorted(actions, key=lambda a: (_group_key(a), ACTION_TYPES.index(a.action_type),
                                             a.title.casefold(), a.id))
    out_days = []
    for day in dates:
        groups: dict[tuple, dict] = {}
        for a in ordered:
            if not occurs_on(a.rule, day):
                continue
            scope = resolved[a.id]
            completion = completions.get((a.id, day))
            automatic = False
            if completion is not None:
                status = completion["status"]
                automatic = completion["automatic"]
            elif _auto_done(a.action_type, scope, day, logged):
                status, automatic = "done", True
            else:
                status = "overdue" if day < today else "due"
            key = _group_key(a)
            group = groups.get(key)
            if group is None:
                exact = a.exact_time.strftime("%H:%M") if a.exact_time else None
                group = groups[key] = {
                    "key": f"time-{exact}" if exact else (a.timeframe or "anytime"),
                    "timeframe": None if exact else a.timeframe, "time": exact,
                    "actions": []}
            group["actions"].append({
                "schedule_id": a.id, "action_type": a.action_type, "title": a.title,
                "notes": a.notes or "",
                "scope": {"type": scope.kind, "ids": scope.ids, "codes": scope.codes,
                          "plant_count": len(scope.plants), "tray_count": len(scope.trays)},
                "status": status, "automatic": automatic,
                "blockers": blockers[a.id] if status in ("due", "overdue") else [],
                "completion": completion,
            })
        out_days.append({"date": day.isoformat(), "groups": list(groups.values())})
    return {"days": out_days}


def due_today_count(session: Session, experiment_id: int, today: date | None = None) -> int:
    """Occurrences planned today that nobody has done or skipped (fixed queries).
    Raises NotFound."""
    today = today or utcnow().date()
    result = plan(session, experiment_id=experiment_id, start=today, days=1, today=today)
    return sum(1 for day in result["days"] for group in day["groups"]
               for action in group["actions"] if action["status"] in ("due", "overdue"))
