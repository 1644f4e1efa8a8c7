"""The report's conditions per tent over the trial's run (started → stopped, or now): per
quantity the mean, min and max, the hours out of the tent's range, the mean VPD, and the
daily light integral (mean over the whole local days of the run; all days when the run is
shorter than one), beside which recipes' trays stood in the tent.

Read from the hourly roll-ups (kept for good, unlike raw readings), in a fixed number of
statements whatever the trial's length or the number of tents: tents, roll-ups, ranges,
sensor settings, trays per tent. An hour counts as out of range when its mean lies
outside the range the tent has now (ranges keep no history)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...models import Experiment, Recipe, Slot, Tent, TentSensorSettings, Tray, utcnow
from ..clock import day_bounds, zone_of
from ..read.environment import daily_light
from .alerts import list_ranges
from .readings import list_hours
from .units import QUANTITIES, vpd_kpa


@dataclass
class QuantityConditions:
    quantity: str
    mean: float
    min: float
    max: float
    hours: int  # hours with readings
    hours_out: int | None  # None: the tent has no range for it
    low: float | None = None
    high: float | None = None

    @property
    def unit(self) -> str:
        return QUANTITIES[self.quantity].unit

    @property
    def label(self) -> str:
        return QUANTITIES[self.quantity].label


@dataclass
class TentConditions:
    tent_id: int
    code: str
    name: str
    quantities: list[QuantityConditions] = field(default_factory=list)
    vpd_mean: float | None = None
    dli_by_day: dict[date, float] = field(default_factory=dict)
    trays_by_recipe: dict[str, int] = field(default_factory=dict)  # recipe code -> trays

    @property
    def dli_mean(self) -> float | None:
        days = list(self.dli_by_day.values())
        return sum(days) / len(days) if days else None

    def as_dict(self) -> dict:
        return {"tent_id": self.tent_id, "code": self.code, "name": self.name,
                "trays_by_recipe": self.trays_by_recipe,
                "vpd_mean_kpa": _round(self.vpd_mean, 3),
                "dli_mean_mol": _round(self.dli_mean, 2), "dli_days": len(self.dli_by_day),
                "quantities": [{"quantity": q.quantity, "unit": q.unit,
                                "mean": _round(q.mean, 3), "min": q.min, "max": q.max,
                                "hours": q.hours, "hours_out_of_range": q.hours_out,
                                "range": None if q.hours_out is None else
                                {"low": q.low, "high": q.high}}
                               for q in self.quantities]}


@dataclass
class Conditions:
    start: datetime | None
    end: datetime | None
    tents: list[TentConditions]

    @property
    def any(self) -> bool:
        return any(t.quantities for t in self.tents)

    def as_dict(self) -> dict:
        return {"from": self.start.isoformat() if self.start else None,
                "to": self.end.isoformat() if self.end else None,
                "tents": [t.as_dict() for t in self.tents]}


def _round(v: float | None, digits: int) -> float | None:
    return None if v is None else round(v, digits)


def trial_span(experiment: Experiment, now: datetime) -> tuple[datetime | None, datetime | None]:
    if experiment.started_at is None:
        return None, None
    end = experiment.stopped_at if experiment.status == "stopped" and experiment.stopped_at \
        else now
    return experiment.started_at, end


def tent_conditions(session: Session, *, experiment: Experiment,
                    now: datetime | None = None) -> Conditions:
    """Conditions of each of the experiment's tents over its run (none before it starts)."""
    start, end = trial_span(experiment, now or utcnow())
    tents = session.execute(select(Tent.id, Tent.code, Tent.name).where(
        Tent.experiment_id == experiment.id).order_by(Tent.code)).all()
    out = [TentConditions(t.id, t.code, t.name) for t in tents]
    if start is None or not tents:
        return Conditions(start, end, out)
    ids = [t.id for t in tents]
    hours = list_hours(session, tent_ids=ids, start=start, end=end)
    ranges = list_ranges(session, tent_ids=ids)
    factors = dict(session.execute(select(TentSensorSettings.tent_id,
                                          TentSensorSettings.lux_factor)
                                   .where(TentSensorSettings.tent_id.in_(ids))).all())
    for tent_id, code, n in session.execute(
            select(Slot.tent_id, Recipe.code, func.count(Tray.id))
            .join(Slot, Slot.id == Tray.slot_id).join(Recipe, Recipe.id == Tray.recipe_id)
            .where(Tray.experiment_id == experiment.id, Slot.tent_id.in_(ids))
            .group_by(Slot.tent_id, Recipe.code)):
        next(t for t in out if t.tent_id == tent_id).trays_by_recipe[code] = n
    by_tent: dict[int, list] = defaultdict(list)
    for h in hours:
        by_tent[h.tent_id].append(h)
    zone = zone_of(session)
    for t in out:
        rows = by_tent.get(t.tent_id, [])
        _summarise(t, rows, ranges[t.tent_id])
        days = daily_light(rows, lux_factor=factors.get(t.tent_id), zone=zone)
        # whole local days only: the first and the running day would pull the mean down
        whole = {d: v for d, v in days.items()
                 if start <= day_bounds(d, zone)[0] and day_bounds(d, zone)[1] <= end}
        t.dli_by_day = whole or days
        t.trays_by_recipe = dict(sorted(t.trays_by_recipe.items(),
                                        key=lambda kv: (len(kv[0]), kv[0])))
    return Conditions(start, end, out)


def _summarise(t: TentConditions, rows: list, ranges: dict) -> None:
    per: dict[str, list] = defaultdict(list)
    for h in rows:
        per[h.quantity].append(h)
    for quantity in QUANTITIES:
        hs = per.get(quantity)
        if not hs:
            continue
        rng = ranges.get(quantity)
        out = None
        if rng is not None:
            out = sum(1 for h in hs if (rng.low is not None and h.total / h.n < rng.low)
                      or (rng.high is not None and h.total / h.n > rng.high))
        t.quantities.append(QuantityConditions(
            quantity, sum(h.total for h in hs) / sum(h.n for h in hs), min(h.min for h in hs),
            max(h.max for h in hs), len(hs), out, rng.low if rng else None,
            rng.high if rng else None))
    temps = {h.hour: h.total / h.n for h in per.get("temperature", [])}
    vpds = [vpd_kpa(temps[h.hour], h.total / h.n) for h in per.get("humidity", [])
            if h.hour in temps]
    t.vpd_mean = sum(vpds) / len(vpds) if vpds else None
