"""The tent now, for the cockpit and the tent page: the newest reading of each quantity
(value, time, source), the tent's ranges and open alerts and its sensor settings, in ONE
statement (a UNION ALL of one
index seek per quantity, the ranges, the alerts and the settings row), so the cockpit's
statement count stays fixed whatever the number of readings."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import (
    Float,
    Integer,
    String,
    Text,
    bindparam,
    cast,
    null,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from ...models import EnvironmentAlert, Reading, TentRange, TentSensorSettings, utcnow
from ..clock import aware_utc
from ..environment.alerts import DEFAULT_STALE_MINUTES
from ..environment.units import QUANTITIES, vpd_kpa
from .inline import inline


@dataclass(slots=True)
class NowValue:
    quantity: str
    value: float
    at: datetime
    source: str = ""  # manual, api, mqtt, csv


@dataclass(slots=True)
class NowRange:
    low: float | None
    high: float | None
    for_minutes: int | None = None


@dataclass(slots=True)
class NowAlert:
    quantity: str
    kind: str  # range | silent
    detail: str
    raised_at: datetime


@dataclass
class TentNow:
    tent_id: int
    now: datetime
    latest: dict[str, NowValue] = field(default_factory=dict)
    ranges: dict[str, NowRange] = field(default_factory=dict)
    alerts: list[NowAlert] = field(default_factory=list)
    stale_minutes: int = DEFAULT_STALE_MINUTES
    lux_factor: float | None = None

    @property
    def quantities(self) -> list[str]:
        """Quantities with a reading, in the units table's order."""
        return [q for q in QUANTITIES if q in self.latest]

    @property
    def vpd(self) -> float | None:
        t, h = self.latest.get("temperature"), self.latest.get("humidity")
        return vpd_kpa(t.value, h.value) if t and h else None

    @property
    def newest_at(self) -> datetime | None:
        return max((v.at for v in self.latest.values()), default=None)

    @property
    def stale(self) -> bool:
        """No reading within the tent's stale window (0: never stale)."""
        at = self.newest_at
        return bool(at and self.stale_minutes
                    and self.now - at > timedelta(minutes=self.stale_minutes))

    def state(self, quantity: str) -> str:
        """``low``, ``high``, ``ok`` (inside its range) or ``""`` (no range set)."""
        v, rng = self.latest.get(quantity), self.ranges.get(quantity)
        if v is None or rng is None:
            return ""
        if rng.low is not None and v.value < rng.low:
            return "low"
        if rng.high is not None and v.value > rng.high:
            return "high"
        return "ok"


@cache
def tent_now_statement():
    """Built once (the tent id is a bound parameter ``tent_id``, its constants are written
    inline: see inline.py): composing ten SELECTs costs more than running them. Rows
    (kind, quantity, a, b, at, text) for ``tent_now_from_rows``; the cockpit runs it inside
    its own statement."""
    tent_id = bindparam("tent_id", type_=Integer)

    def row(kind, quantity, a, b, at, text, where, entity, order=None):
        stmt = select(inline(kind, String).label("kind"), quantity.label("quantity"),
                      cast(a, Float).label("a"), cast(b, Float).label("b"),
                      at.label("at"),  # no CAST: SQLite would make a number of it
                      cast(text, Text).label("text")).select_from(entity).where(*where)
        if order is not None:
            stmt = stmt.order_by(order).limit(inline(1)).subquery().select()
        return stmt

    parts = [row("reading", Reading.quantity, Reading.value, null(), Reading.at, Reading.source,
                 (Reading.tent_id == tent_id, Reading.quantity == inline(q)), Reading,
                 Reading.at.desc()) for q in QUANTITIES]
    parts.append(row("range", TentRange.quantity, TentRange.low, TentRange.high, null(),
                     TentRange.for_minutes, (TentRange.tent_id == tent_id,), TentRange))
    parts.append(row("alert", EnvironmentAlert.quantity, null(), null(),
                     EnvironmentAlert.raised_at,
                     EnvironmentAlert.kind + inline(":") + EnvironmentAlert.detail,
                     (EnvironmentAlert.tent_id == tent_id,
                      EnvironmentAlert.cleared_at.is_(None)), EnvironmentAlert))
    parts.append(row("settings", inline("", String), TentSensorSettings.lux_factor,
                     cast(TentSensorSettings.stale_minutes, Integer), null(), null(),
                     (TentSensorSettings.tent_id == tent_id,), TentSensorSettings))
    return union_all(*parts)


def tent_now(session: Session, *, tent_id: int, now: datetime | None = None) -> TentNow:
    """The tent's conditions now (one statement)."""
    return tent_now_from_rows(tent_id, now, session.execute(tent_now_statement(),
                                                            {"tent_id": tent_id}))


def tent_now_from_rows(tent_id: int, now: datetime | None, rows) -> TentNow:
    """The TentNow of ``tent_now_statement``'s rows (kind, quantity, a, b, at, text)."""
    out = TentNow(tent_id=tent_id, now=now or utcnow())
    for kind, quantity, a, b, at, text in rows:
        if kind == "reading":
            out.latest[quantity] = NowValue(quantity, a, aware_utc(at), text or "")
        elif kind == "range":
            out.ranges[quantity] = NowRange(a, b, int(text) if text is not None else None)
        elif kind == "alert":
            alert_kind, _sep, detail = (text or "").partition(":")
            out.alerts.append(NowAlert(quantity, alert_kind, detail, aware_utc(at)))
        else:
            out.stale_minutes = int(b) if b is not None else DEFAULT_STALE_MINUTES
            out.lux_factor = a
    out.alerts.sort(key=lambda a: a.raised_at)
    return out
