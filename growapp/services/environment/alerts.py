"""Ranges per tent and quantity, the tent's sensor settings, and the alerts the periodic
task raises and clears (out of range for N minutes; no reading for M minutes)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import (
    EnvironmentAlert,
    Experiment,
    Reading,
    ReadingHour,
    Tent,
    TentRange,
    TentSensorSettings,
    User,
    utcnow,
)
from ..alert_deliveries import queue_alert_deliveries
from ..errors import Invalid
from ..events import record_event
from .readings import get_tent
from .units import QUANTITIES, fmt

DEFAULT_STALE_MINUTES = 30
MAX_MINUTES = 7 * 24 * 60


def list_ranges(session: Session, *, tent_ids: list[int]) -> dict[int, dict[str, TentRange]]:
    out: dict[int, dict[str, TentRange]] = {t: {} for t in tent_ids}
    for r in session.scalars(select(TentRange).where(TentRange.tent_id.in_(tent_ids))):
        out[r.tent_id][r.quantity] = r
    return out


def set_range(session: Session, *, tent_id: int, quantity: str, low: float | None,
              high: float | None, for_minutes: int = 15, actor: User) -> TentRange | None:
    """Set (or with no bounds, remove) a quantity's range. Raises NotFound, Invalid."""
    tent = get_tent(session, tent_id)
    if quantity not in QUANTITIES:
        raise Invalid(errors={"quantity": [f"Unknown quantity; use one of "
                                           f"{', '.join(QUANTITIES)}."]})
    q = QUANTITIES[quantity]
    errors: dict[str, list[str]] = {}
    for name, v in (("low", low), ("high", high)):
        if v is not None and not q.low <= v <= q.high:
            errors[name] = [f"Use {q.low:g} to {q.high:g} {q.unit}."]
    if low is not None and high is not None and low >= high:
        errors["high"] = ["Make the upper bound higher than the lower one."]
    if not 0 <= for_minutes <= MAX_MINUTES:
        errors["for_minutes"] = [f"Use 0 to {MAX_MINUTES} minutes."]
    if errors:
        raise Invalid(errors=errors)
    existing = session.scalar(select(TentRange).where(TentRange.tent_id == tent.id,
                                                      TentRange.quantity == quantity))
    if low is None and high is None:
        if existing:
            session.delete(existing)
        summary = f"{tent.code}: {q.label.lower()} range removed"
        result = None
    else:
        result = existing or TentRange(tent_id=tent.id, quantity=quantity)
        result.low, result.high, result.for_minutes = low, high, for_minutes
        session.add(result)
        summary = (f"{tent.code}: {q.label.lower()} range {_bounds(low, high, q.unit)} "
                   f"for {for_minutes} min")
    record_event(session, kind="environment.range", summary=summary, actor=actor,
                 experiment_id=tent.experiment_id,
                 payload={"tent_id": tent.id, "quantity": quantity, "low": low, "high": high,
                          "for_minutes": for_minutes})
    session.flush()
    return result


def _bounds(low, high, unit) -> str:
    if low is not None and high is not None:
        return f"{low:g}–{high:g} {unit}"
    return f"≥ {low:g} {unit}" if low is not None else f"≤ {high:g} {unit}"


def sensor_settings(session: Session, *, tent_id: int) -> TentSensorSettings:
    row = session.scalar(select(TentSensorSettings).where(TentSensorSettings.tent_id == tent_id))
    return row or TentSensorSettings(tent_id=tent_id, lux_factor=None,
                                     stale_minutes=DEFAULT_STALE_MINUTES)


def set_sensor_settings(session: Session, *, tent_id: int, lux_factor: float | None,
                        stale_minutes: int, actor: User) -> TentSensorSettings:
    """Raises NotFound, Invalid."""
    tent = get_tent(session, tent_id)
    errors = {}
    if lux_factor is not None and not 0 < lux_factor <= 1:
        errors["lux_factor"] = ["Use a factor between 0 and 1 (white LED ≈ 0.015)."]
    if not 0 <= stale_minutes <= MAX_MINUTES:
        errors["stale_minutes"] = [f"Use 0 to {MAX_MINUTES} minutes."]
    if errors:
        raise Invalid(errors=errors)
    row = sensor_settings(session, tent_id=tent.id)
    row.lux_factor, row.stale_minutes = lux_factor, stale_minutes
    session.add(row)
    record_event(session, kind="environment.settings", actor=actor,
                 experiment_id=tent.experiment_id,
                 summary=f"{tent.code}: sensor settings saved",
                 payload={"tent_id": tent.id, "lux_factor": lux_factor,
                          "stale_minutes": stale_minutes})
    session.flush()
    return row


def open_alerts(session: Session, *, tent_ids: list[int]) -> dict[int, list[EnvironmentAlert]]:
    out: dict[int, list[EnvironmentAlert]] = {t: [] for t in tent_ids}
    if not tent_ids:
        return out
    for a in session.scalars(select(EnvironmentAlert).where(
            EnvironmentAlert.tent_id.in_(tent_ids), EnvironmentAlert.cleared_at.is_(None))
            .order_by(EnvironmentAlert.raised_at)):
        out[a.tent_id].append(a)
    return out


@dataclass
class Change:
    alert: EnvironmentAlert
    raised: bool  # False: cleared


def _outside(r: TentRange, v: float) -> bool:
    return (r.low is not None and v < r.low) or (r.high is not None and v > r.high)


def _range_state(session: Session, rng: TentRange, now: datetime) -> tuple[bool, str] | None:
    """(out for the whole window, detail) or None when there is nothing to judge."""
    start = now - timedelta(minutes=rng.for_minutes)
    base = select(Reading.value, Reading.at).where(Reading.tent_id == rng.tent_id,
                                                   Reading.quantity == rng.quantity)
    recent = session.execute(base.where(Reading.at > start, Reading.at <= now)).all()
    before = session.execute(base.where(Reading.at <= start).order_by(Reading.at.desc())
                             .limit(1)).first()
    if not recent and before is None:
        return None
    latest = max(recent, key=lambda r: r.at) if recent else before
    q = QUANTITIES[rng.quantity]
    out = (all(_outside(rng, r.value) for r in recent) and
           (rng.for_minutes == 0 or (before is not None and _outside(rng, before.value))))
    side = "above" if rng.high is not None and latest.value > rng.high else "below"
    bound = rng.high if side == "above" else rng.low
    detail = (f"{q.label} {fmt(rng.quantity, latest.value)} {q.unit}, {side} "
              f"{bound:g} {q.unit} for {rng.for_minutes} min")
    return (out if _outside(rng, latest.value) else False), detail


def check_alerts(session: Session, *, now: datetime | None = None) -> list[Change]:
    """Raise and clear alerts of the tents of running experiments. Writes one activity
    event per change."""
    now = now or utcnow()
    tents = session.scalars(select(Tent).join(Experiment).where(
        Experiment.status == "running")).all()
    ids = [t.id for t in tents]
    ranges = list_ranges(session, tent_ids=ids)
    opened = open_alerts(session, tent_ids=ids)
    settings = {s.tent_id: s for s in session.scalars(
        select(TentSensorSettings).where(TentSensorSettings.tent_id.in_(ids)))}
    changes: list[Change] = []
    for tent in tents:
        current = {(a.quantity, a.kind): a for a in opened[tent.id]}
        wanted: dict[tuple[str, str], str] = {}
        for rng in ranges[tent.id].values():
            state = _range_state(session, rng, now)
            if state and state[0]:
                wanted[(rng.quantity, "range")] = state[1]
        stale = settings.get(tent.id)
        minutes = stale.stale_minutes if stale else DEFAULT_STALE_MINUTES
        last = session.scalar(select(Reading.at).where(Reading.tent_id == tent.id)
                              .order_by(Reading.at.desc()).limit(1))
        if last is None:  # raw readings pruned or none yet: the roll-ups know
            last = session.scalar(select(ReadingHour.hour).where(
                ReadingHour.tent_id == tent.id).order_by(ReadingHour.hour.desc()).limit(1))
        if minutes and last is not None and now - last > timedelta(minutes=minutes):
            wanted[("any", "silent")] = f"No reading for {minutes} min (last {last:%H:%M} UTC)"
        for key, detail in wanted.items():
            if key not in current:
                alert = EnvironmentAlert(tent_id=tent.id, quantity=key[0], kind=key[1],
                                         detail=detail, raised_at=now)
                session.add(alert)
                changes.append(Change(alert, True))
        for key, alert in current.items():
            if key not in wanted:
                alert.cleared_at = now
                changes.append(Change(alert, False))
        for ch in changes:
            if ch.alert.tent_id == tent.id:
                verb = "alert" if ch.raised else "cleared"
                record_event(session, kind=f"environment.{verb}", actor=None,
                             experiment_id=tent.experiment_id,
                             summary=f"{tent.code}: {ch.alert.detail}" if ch.raised else
                             f"{tent.code}: back to normal ({ch.alert.detail})",
                             payload={"tent_id": tent.id, "quantity": ch.alert.quantity,
                                      "kind": ch.alert.kind})
    # Outbound channels: rows in this transaction, sent by the worker after it commits.
    queue_alert_deliveries(session, changes=[(c.alert, c.raised) for c in changes], now=now)
    session.flush()
    return changes
