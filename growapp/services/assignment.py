"""Which tray (and so recipe) each plant belonged to, for analysis.

A placed plant is in its tray now. A removed plant has left its tray, so its assignment is
taken from its last feeding log (which stores tray and recipe), else from the auto-place
allocation record. Analysis is by assignment (intention to treat).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import Event, FeedingLog, Plant, Recipe, Slot, Tent, Tray, TrayPlant


@dataclass(slots=True)
class Assignment:
    tray_id: int | None
    tray_code: str | None
    recipe_code: str | None
    slot_code: str | None
    tent_code: str | None


def assignments(session: Session, experiment_id: int) -> dict[int, Assignment]:
    """{plant_id: Assignment} for every plant of the experiment, in four queries."""
    trays = {t.id: (t, s, tent, r) for t, s, tent, r in session.execute(
        select(Tray, Slot, Tent, Recipe).outerjoin(Slot, Slot.id == Tray.slot_id)
        .outerjoin(Tent, Tent.id == Slot.tent_id).outerjoin(Recipe, Recipe.id == Tray.recipe_id)
        .where(Tray.experiment_id == experiment_id))}
    by_code = {t.code: tid for tid, (t, _s, _tent, _r) in trays.items()}

    def make(tray_id: int | None) -> Assignment:
        if tray_id not in trays:
            return Assignment(None, None, None, None, None)
        t, s, tent, r = trays[tray_id]
        return Assignment(t.id, t.code, r.code if r else None, s.code if s else None,
                          tent.code if tent else None)

    current = dict(session.execute(select(TrayPlant.plant_id, TrayPlant.tray_id)
                                   .join(Tray, Tray.id == TrayPlant.tray_id)
                                   .where(Tray.experiment_id == experiment_id)).all())
    last_log = (select(FeedingLog.plant_id, func.max(FeedingLog.id).label("log_id"))
                .join(Plant, Plant.id == FeedingLog.plant_id)
                .where(Plant.experiment_id == experiment_id, FeedingLog.voided_at.is_(None))
                .group_by(FeedingLog.plant_id)
                .subquery())
    fed = dict(session.execute(select(FeedingLog.plant_id, FeedingLog.tray_id)
                               .join(last_log, last_log.c.log_id == FeedingLog.id)).all())
    allocation = session.scalar(select(Event.payload).where(
        Event.experiment_id == experiment_id, Event.kind == "placement.auto")
        .order_by(Event.at.desc(), Event.id.desc()).limit(1)) or {}
    allocated = {a["plant_code"]: by_code.get(a.get("tray_code"))
                 for a in allocation.get("allocation", [])}
    out = {}
    for pid, code in session.execute(select(Plant.id, Plant.plant_code).where(
            Plant.experiment_id == experiment_id)):
        out[pid] = make(current.get(pid) or fed.get(pid) or allocated.get(code))
    return out


def latest_allocation(session: Session, experiment_id: int) -> dict | None:
    event = session.scalar(select(Event).where(
        Event.experiment_id == experiment_id, Event.kind == "placement.auto")
        .order_by(Event.at.desc(), Event.id.desc()).limit(1))
    if event is None:
        return None
    return {"at": event.at, **event.payload}
