"""``environment.csv`` (raw readings, as far back as they are kept) and
``environment_hourly.csv`` (the hourly roll-ups, kept for good) of an experiment's tents.

Tidy long form, one reading (or hour) per row, times ISO 8601 in the installation's zone
with their offset. Both stream: rows are read ``yield_per`` in the order of the readings'
unique index (tent, quantity, time), so the database sorts nothing and a year of
one-minute readings never sits in memory."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import Reading, ReadingHour, Slot, Tent
from ..clock import iso_local, zone_of
from ..experiments import get_experiment
from .units import QUANTITIES

CHUNK = 2000
COLUMNS = {
    "environment": ["tent", "slot", "quantity", "value", "unit", "at", "source"],
    "environment_hourly": ["tent", "quantity", "unit", "hour", "n", "mean", "min", "max"],
}
DICTIONARY = {
    "environment": {
        "tent": "tent code", "slot": "slot code when the reading was for one slot, else empty",
        "quantity": "temperature, humidity, ppfd, lux, co2, ec or ph",
        "value": "the reading in the canonical unit", "unit": "°C, %, µmol/m²/s, lx, ppm, "
        "mS/cm or pH", "at": "ISO timestamp with offset (GROWAPP_TIMEZONE)",
        "source": "manual, api, mqtt or csv"},
    "environment_hourly": {
        "tent": "tent code", "quantity": "as in environment.csv", "unit": "canonical unit",
        "hour": "ISO timestamp with offset of the hour's start", "n": "readings in the hour",
        "mean": "their mean", "min": "the lowest", "max": "the highest"},
}


def _num(value: float) -> str:
    short = f"{value:g}"
    return short if float(short) == value else repr(value)


def _tents(session: Session, experiment_id: int) -> dict[int, str]:
    return dict(session.execute(select(Tent.id, Tent.code).where(
        Tent.experiment_id == experiment_id)).all())


def environment_rows(session: Session, experiment_id: int) -> Iterator[list]:
    get_experiment(session, experiment_id)
    tz = zone_of(session)
    tents = _tents(session, experiment_id)
    slots = dict(session.execute(select(Slot.id, Slot.code).join(Tent).where(
        Tent.experiment_id == experiment_id)).all())
    yield COLUMNS["environment"]
    if not tents:
        return
    stmt = (select(Reading.tent_id, Reading.slot_id, Reading.quantity, Reading.value,
                   Reading.at, Reading.source)
            .where(Reading.tent_id.in_(tents))
            .order_by(Reading.tent_id, Reading.quantity, Reading.at, Reading.sensor)
            .execution_options(yield_per=CHUNK))
    for tent_id, slot_id, quantity, value, at, source in session.execute(stmt):
        yield [tents[tent_id], slots.get(slot_id, ""), quantity, _num(value),
               QUANTITIES[quantity].unit, iso_local(at, tz), source]


def environment_hourly_rows(session: Session, experiment_id: int) -> Iterator[list]:
    get_experiment(session, experiment_id)
    tz = zone_of(session)
    tents = _tents(session, experiment_id)
    yield COLUMNS["environment_hourly"]
    if not tents:
        return
    h = ReadingHour
    stmt = (select(h.tent_id, h.quantity, h.hour, h.n, h.total, h.min, h.max)
            .where(h.tent_id.in_(tents)).order_by(h.tent_id, h.quantity, h.hour)
            .execution_options(yield_per=CHUNK))
    for tent_id, quantity, hour, n, total, low, high in session.execute(stmt):
        yield [tents[tent_id], quantity, QUANTITIES[quantity].unit, iso_local(hour, tz), n,
               _num(round(total / n, 4)), _num(low), _num(high)]
