"""What the tent page, the overview badge and the cockpit show of a tent's environment,
in a fixed number of statements whatever the number of readings (charts read the hourly
roll-ups, "now" one index seek per quantity)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from ...models import EnvironmentAlert, Reading, Tent, TentRange, utcnow
from ..clock import zone_of
from ..environment import alerts as alert_svc
from ..environment import readings as reading_svc
from ..environment.units import QUANTITIES, dli_mol, ppfd_from_lux, vpd_kpa

WEEK = timedelta(days=7)


@dataclass
class TentEnvironment:
    tent: Tent
    now: datetime
    latest: dict[str, Reading]
    ranges: dict[str, TentRange]
    alerts: list[EnvironmentAlert]
    hours: list  # rows of reading_hours (see readings.list_hours)
    lux_factor: float | None
    stale_minutes: int
    dli_by_day: dict[date, float] = field(default_factory=dict)
    _by_quantity: dict | None = field(default=None, repr=False)

    @property
    def vpd(self) -> float | None:
        t, h = self.latest.get("temperature"), self.latest.get("humidity")
        return vpd_kpa(t.value, h.value) if t and h else None

    def out_of_range(self, quantity: str) -> bool:
        r, rng = self.latest.get(quantity), self.ranges.get(quantity)
        return bool(r and rng and ((rng.low is not None and r.value < rng.low) or
                                   (rng.high is not None and r.value > rng.high)))

    def hours_of(self, quantity: str, since: datetime) -> list:
        if self._by_quantity is None:
            self._by_quantity = defaultdict(list)
            for h in self.hours:
                self._by_quantity[h.quantity].append(h)
        return [h for h in self._by_quantity.get(quantity, ()) if h.hour >= since]

    @property
    def quantities(self) -> list[str]:
        seen = {h.quantity for h in self.hours} | set(self.latest) | set(self.ranges)
        return [q for q in QUANTITIES if q in seen]


def daily_light(hours: list, *, lux_factor: float | None, zone) -> dict[date, float]:
    """DLI per local day from hourly PPFD means, or from lux with the lamps' factor."""
    ppfd: dict[date, list[float]] = defaultdict(list)
    lux: dict[date, list[float]] = defaultdict(list)
    for h in hours:
        day = h.hour.astimezone(zone).date()
        if h.quantity == "ppfd":
            ppfd[day].append(h.total / h.n)
        elif h.quantity == "lux" and lux_factor:
            lux[day].append(ppfd_from_lux(h.total / h.n, lux_factor))
    return {d: dli_mol(ppfd.get(d) or lux[d]) for d in sorted(set(ppfd) | set(lux))}


def tent_environment(session: Session, *, tent_id: int,
                     now: datetime | None = None) -> TentEnvironment:
    """Raises NotFound."""
    now = now or utcnow()
    tent = reading_svc.get_tent(session, tent_id)
    settings = alert_svc.sensor_settings(session, tent_id=tent.id)
    hours = reading_svc.list_hours(session, tent_ids=[tent.id], start=now - WEEK)
    env = TentEnvironment(
        tent=tent, now=now, latest=reading_svc.latest_readings(session, tent_id=tent.id),
        ranges=alert_svc.list_ranges(session, tent_ids=[tent.id])[tent.id],
        alerts=alert_svc.open_alerts(session, tent_ids=[tent.id])[tent.id], hours=hours,
        lux_factor=settings.lux_factor, stale_minutes=settings.stale_minutes)
    env.dli_by_day = daily_light(hours, lux_factor=settings.lux_factor, zone=zone_of(session))
    return env


def alert_counts(session: Session, *, tent_ids: list[int]) -> dict[int, int]:
    """Open alerts per tent, for badges (one statement)."""
    return {t: len(a) for t, a in alert_svc.open_alerts(session, tent_ids=tent_ids).items()}
