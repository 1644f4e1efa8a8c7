"""The plan: occurrences of the active schedules day by day, grouped by timeframe or time,
each with its status and blockers — in a fixed number of queries whatever the number of
schedules, plants or days."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import (
    ACTION_TYPES,
    TIMEFRAMES,
    Plant,
    ScheduleAction,
    Slot,
    Tent,
    Tray,
    TrayPlant,
)
from ..clock import local_today, zone_of
from ..errors import Invalid
from ..experiments import get_experiment
from .completion import completions_by_occurrence, work_logged
from .manage import list_schedules, scope_of
from .rules import MAX_PLAN_DAYS, occurs_on, plural


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
    kind, ids = scope_of(action)
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



def _blockers(action: ScheduleAction, scope: _Resolved, places: _Places,
              running: bool) -> list[str]:
    out = [] if running else ["Experiment is not running"]
    if action.action_type == "feed":
        if not scope.plants:
            out.append("No active plants in scope")
        unplaced = sum(1 for pid in scope.plants if pid not in places.plant_tray)
        if unplaced:
            out.append(f"{plural(unplaced, 'plant', 'plants')} not placed")
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
        tz = zone_of(session)
        lo = datetime.combine(start, time.min, tz).astimezone(UTC)
        hi = datetime.combine(end + timedelta(days=1), time.min, tz).astimezone(UTC)
    except OverflowError as exc:
        raise Invalid(errors={"from": ["Choose a date between 0001-01-01 and 9999-12-31."]}) \
            from exc
    today = today or local_today(tz)
    experiment = get_experiment(session, experiment_id)
    actions = list_schedules(session, experiment_id, active_only=True)
    dates = [start + timedelta(days=i) for i in range(days)]
    if not actions:
        return {"days": [{"date": d.isoformat(), "groups": []} for d in dates]}

    places = _load_places(session, experiment_id)
    completions = completions_by_occurrence(session, experiment_id, start, end)
    logged = work_logged(session, experiment_id, lo, hi)

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
    today = today or local_today(zone_of(session))
    result = plan(session, experiment_id=experiment_id, start=today, days=1, today=today)
    return sum(1 for day in result["days"] for group in day["groups"]
               for action in group["actions"] if action["status"] in ("due", "overdue"))
