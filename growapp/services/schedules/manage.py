"""Managing schedules: list, read, create, edit (pause / resume) and delete them."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, time

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ...models import (
    ACTION_TYPES,
    Plant,
    ScheduleAction,
    ScheduleRule,
    ScheduleScope,
    TaskCompletion,
    Tent,
    Tray,
    User,
)
from ..errors import Invalid, NotFound
from ..events import record_event
from ..experiments import get_experiment
from .rules import (
    SCOPE_NOUNS,
    as_date,
    clean_rule,
    clean_scope,
    clean_text,
    clean_when,
    describe_when,
    plural,
    require_operator,
)

UNSET = object()


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


def scope_of(action: ScheduleAction) -> tuple[str, list[int]]:
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
        kind, ids = scope_of(action)
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



def schedule_summaries(session: Session, actions: list[ScheduleAction]) -> list[dict]:
    """Plain dicts (the API's schedule shape plus ``description``), codes resolved in bulk."""
    codes = _scope_codes(session, actions)
    out = []
    for a in actions:
        kind, ids = scope_of(a)
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
    require_operator(actor)
    experiment = get_experiment(session, experiment_id)
    errors: dict[str, list[str]] = {}
    if action_type not in ACTION_TYPES:
        errors["action_type"] = [f"Choose one of {', '.join(ACTION_TYPES)}."]
    text = clean_text({"title": title, "notes": notes}, errors)
    timeframe, exact = clean_when(timeframe, exact_time, errors)
    checked_rule = clean_rule(rule, errors)
    start = as_date(start_date, "start_date", errors, required=True)
    end = as_date(end_date, "end_date", errors, required=False)
    if start and end and end < start:
        errors["end_date"] = ["The end date is before the start date."]
    checked_scope = clean_scope(session, scope, experiment.id, errors)
    if errors:
        raise Invalid(errors=errors)

    action = ScheduleAction(experiment_id=experiment.id, action_type=action_type,
                            title=text["title"], notes=text["notes"], timeframe=timeframe,
                            exact_time=exact, is_active=True)
    action.rule = ScheduleRule(kind=checked_rule["kind"], weekdays=checked_rule["weekdays"],
                               every_days=checked_rule["every_days"], start_date=start,
                               end_date=end)
    kind = checked_scope["type"]
    action.scopes = [ScheduleScope(scope_type=kind, **{f"{kind}_id": i})
                     for i in checked_scope["ids"]]
    session.add(action)
    session.flush()
    record_event(session, kind="schedule.created", actor=actor, experiment_id=experiment.id,
                 summary=f"Scheduled {action.title} "
                         f"({describe_when(action.rule, timeframe, exact)}, "
                         f"{plural(len(checked_scope['ids']), *SCOPE_NOUNS[kind])})",
                 payload={"schedule_id": action.id, "action_type": action_type})
    return action


def update_schedule(session: Session, *, schedule_id: int, actor: User, title=UNSET,
                    notes=UNSET, timeframe=UNSET, exact_time=UNSET, is_active=UNSET,
                    end_date=UNSET) -> ScheduleAction:
    """Edit a schedule. Giving a timeframe clears the exact time and vice versa (unless
    both are given). Raises NotFound, Forbidden, Invalid (title, timeframe/exact_time,
    end_date before start_date)."""
    require_operator(actor)
    action = get_schedule(session, schedule_id)
    errors: dict[str, list[str]] = {}
    fields = {k: v for k, v in (("title", title), ("notes", notes)) if v is not UNSET}
    text = clean_text(fields, errors)
    new_tf, new_exact = action.timeframe, action.exact_time
    if timeframe is not UNSET or exact_time is not UNSET:
        new_tf = timeframe if timeframe is not UNSET else (
            None if exact_time not in (None, "") else action.timeframe)
        new_exact = exact_time if exact_time is not UNSET else (
            None if timeframe not in (None, "") else action.exact_time)
        new_tf, new_exact = clean_when(new_tf, new_exact, errors)
    new_end = action.rule.end_date
    if end_date is not UNSET:
        new_end = as_date(end_date, "end_date", errors, required=False)
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
    require_operator(actor)
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

