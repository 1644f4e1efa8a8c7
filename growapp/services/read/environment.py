"""What the tent page and the overview badge show of a tent's environment, in a fixed
number of statements whatever the number of readings (charts read the hourly roll-ups, one
index range per quantity; "now" is ``tent_now``, one index seek per quantity)."""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from ...models import Tent, utcnow
from ..clock import zone_of
from ..environment import alerts as alert_svc
from ..environment import readings as reading_svc
from ..environment.units import QUANTITIES, dli_mol, ppfd_from_lux, vpd_kpa
from .tent_now import NowAlert, NowRange, NowValue, tent_now

WEEK = timedelta(days=7)


@dataclass
class TentEnvironment:
    tent: Tent
    now: datetime
    latest: dict[str, NowValue]
    ranges: dict[str, NowRange]  # in the units table's order
    alerts: list[NowAlert]  # oldest first
    hours: dict[str, list[tuple]]  # per quantity (see readings.hour_series)
    lux_factor: float | None
    stale_minutes: int
    dli_by_day: dict[date, float] = field(default_factory=dict)
    _quantities: list[str] | None = field(default=None, repr=False)

    @property
    def vpd(self) -> float | None:
        t, h = self.latest.get("temperature"), self.latest.get("humidity")
        return vpd_kpa(t.value, h.value) if t and h else None

    def out_of_range(self, quantity: str) -> bool:
        r, rng = self.latest.get(quantity), self.ranges.get(quantity)
        return bool(r and rng and ((rng.low is not None and r.value < rng.low) or
                                   (rng.high is not None and r.value > rng.high)))

    def series(self, quantity: str, since: datetime) -> list[tuple]:
        """The quantity's hours from the one containing ``since`` on, oldest first, as
        ``(hour start in epoch seconds, mean, min, max)`` (what the charts draw)."""
        points = self.hours.get(quantity, [])
        return points[bisect_left(points, (since.timestamp() // 3600 * 3600,)):]

    @property
    def quantities(self) -> list[str]:
        if self._quantities is None:
            seen = set(self.hours) | set(self.latest) | set(self.ranges)
            self._quantities = [q for q in QUANTITIES if q in seen]
        return self._quantities


def daily_light(hours: list, *, lux_factor: float | None, zone) -> dict[date, float]:
    """DLI per local day from hourly PPFD means, or from lux with the lamps' factor
    (rows of ``readings.list_hours``)."""
    ppfd = [(h.hour.astimezone(zone).date(), h.total / h.n) for h in hours
            if h.quantity == "ppfd"]
    lux = [(h.hour.astimezone(zone).date(), h.total / h.n) for h in hours
           if h.quantity == "lux" and lux_factor]
    return light_by_day(ppfd, lux, lux_factor=lux_factor)


def light_by_day(ppfd: list[tuple[date, float]], lux: list[tuple[date, float]], *,
                 lux_factor: float | None) -> dict[date, float]:
    """DLI per local day from ``(local day, hourly mean)`` pairs of PPFD, or of lux with
    the lamps' factor (a day with PPFD uses it)."""
    by_ppfd: dict[date, list[float]] = defaultdict(list)
    by_lux: dict[date, list[float]] = defaultdict(list)
    for day, mean in ppfd:
        by_ppfd[day].append(mean)
    for day, mean in lux if lux_factor else ():
        by_lux[day].append(ppfd_from_lux(mean, lux_factor))
    return {d: dli_mol(by_ppfd.get(d) or by_lux[d]) for d in sorted(set(by_ppfd) | set(by_lux))}


def tent_environment(session: Session, *, tent_id: int,
                     now: datetime | None = None) -> TentEnvironment:
    """Raises NotFound. Three statements: the tent, its conditions now (``tent_now``: the
    newest readings, ranges, open alerts and sensor settings in one) and a week of
    roll-ups."""
    now = now or utcnow()
    tent = reading_svc.get_tent(session, tent_id)
    current = tent_now(session, tent_id=tent.id, now=now)
    hours = reading_svc.hour_series(session, tent_id=tent.id, start=now - WEEK)
    env = TentEnvironment(
        tent=tent, now=now, latest=current.latest,
        ranges={q: current.ranges[q] for q in QUANTITIES if q in current.ranges},
        alerts=current.alerts, hours=hours, lux_factor=current.lux_factor,
        stale_minutes=current.stale_minutes)
    zone, days = zone_of(session), {}

    def pairs(quantity):  # PPFD and lux share their hours: each converted once
        return [(days.get(p[0]) or days.setdefault(p[0], datetime.fromtimestamp(p[0], zone)
                                                   .date()), p[1])
                for p in hours.get(quantity, ())]

    env.dli_by_day = light_by_day(pairs("ppfd"), pairs("lux") if env.lux_factor else [],
                                  lux_factor=env.lux_factor)
    return env


def alert_counts(session: Session, *, tent_ids: list[int]) -> dict[int, int]:
    """Open alerts per tent, for badges (one statement)."""
    return {t: len(a) for t, a in alert_svc.open_alerts(session, tent_ids=tent_ids).items()}
