"""Taking readings in (any source) and reading them back, raw or as hourly roll-ups.

Readings go in with Core ``INSERT … ON CONFLICT DO NOTHING … RETURNING``: a reading that
is already stored (same tent, sensor, quantity and time — a redelivered MQTT message, a
CSV imported twice, a second subscriber) is skipped, and only the rows really inserted
are added to the hourly roll-ups, which are upserted in the same transaction."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache

from sqlalchemy import (
    BigInteger,
    Integer,
    bindparam,
    cast,
    delete,
    extract,
    func,
    select,
    union_all,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ...models import Reading, ReadingBatch, ReadingHour, Slot, Tent, User, utcnow
from ..errors import Invalid, NotFound
from ..events import record_event
from .units import QUANTITIES, to_canonical

MAX_BATCH = 1000
FUTURE_SLACK = timedelta(minutes=5)  # a sensor clock a little ahead is fine
CHUNK = 400


@dataclass
class Ingested:
    batch: ReadingBatch
    received: int
    stored: list[dict] = field(default_factory=list)

    @property
    def duplicates(self) -> int:
        return self.received - len(self.stored)


def parse_at(value, *, now: datetime) -> datetime:
    """An aware UTC time from an ISO 8601 string with offset (or an aware datetime).
    Raises ValueError with a sentence."""
    if value is None or value == "":
        return now
    if isinstance(value, datetime):
        at = value
    else:
        text = str(value).strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            at = datetime.fromisoformat(text)
        except ValueError as exc:
            raise ValueError("Write the time as ISO 8601 with its offset, e.g. "
                             "2026-12-01T14:05:00+01:00.") from exc
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("Give the time with its offset (e.g. +01:00 or Z); a time without "
                         "one is ambiguous.")
    at = at.astimezone(UTC)
    if at > now + FUTURE_SLACK:
        raise ValueError("That time is in the future.")
    return at


def get_tent(session: Session, tent_id: int) -> Tent:
    tent = session.get(Tent, tent_id)
    if tent is None:
        raise NotFound(f"No tent with id {tent_id}.")
    return tent


def tent_slot_ids(session: Session, tent: Tent, items: list[dict]) -> set[int]:
    """The slots named by ``items`` that are in the tent (one statement, or none)."""
    slot_ids = {i.get("slot_id") for i in items if i.get("slot_id") is not None}
    return set(session.scalars(select(Slot.id).where(
        Slot.tent_id == tent.id, Slot.id.in_(slot_ids)))) if slot_ids else set()


def check_item(tent: Tent, item: dict, *, now: datetime, source: str,
               tent_slots: set[int]) -> tuple[dict | None, dict[str, list[str]]]:
    """One reading checked: ``(row to store, None-if-bad; errors by field)``. The one
    check every way in uses (API, page, MQTT, CSV import and its dry run)."""
    errors: dict[str, list[str]] = {}
    quantity = item.get("quantity")
    try:
        value = to_canonical(quantity, item.get("value"), item.get("unit"))
    except ValueError as exc:
        where = ("quantity" if quantity not in QUANTITIES else
                 "unit" if "unit" in str(exc) else "value")
        errors.setdefault(where, []).append(str(exc))
        value = None
    try:
        at = parse_at(item.get("at"), now=now)
    except ValueError as exc:
        errors.setdefault("at", []).append(str(exc))
        at = None
    slot_id = item.get("slot_id")
    if slot_id is not None and slot_id not in tent_slots:
        errors.setdefault("slot_id", []).append(f"Slot {slot_id} is not in tent {tent.code}.")
    if errors:
        return None, errors
    # a person's reading never collides with the tent sensor's (delivered by API, MQTT or
    # a logger's CSV: the same reading by two paths is stored once)
    sensor = item.get("sensor") or (f"slot:{slot_id}" if slot_id else
                                    "manual" if source == "manual" else "")
    return ({"tent_id": tent.id, "slot_id": slot_id, "sensor": sensor[:120],
             "quantity": quantity, "value": value, "at": at.replace(microsecond=0)}, {})


def _check(session: Session, tent: Tent, items: list[dict], now: datetime,
           source: str) -> list[dict]:
    errors: dict[str, list[str]] = {}
    rows = []
    tent_slots = tent_slot_ids(session, tent, items)
    for n, item in enumerate(items):
        row, problems = check_item(tent, item, now=now, source=source, tent_slots=tent_slots)
        for where, msgs in problems.items():
            errors.setdefault(f"{n}.{where}", []).extend(msgs)
        if row is not None:
            rows.append(row)
    if errors:
        raise Invalid(f"{len(errors)} of the readings cannot be stored; nothing was stored.",
                      errors)
    return rows


def _insert(session: Session, model, rows):
    """The dialect's INSERT (both know ON CONFLICT and RETURNING)."""
    mod = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return mod.insert(model).values(rows)


def ingest_readings(session: Session, *, tent_id: int, items: list[dict], source: str,
                    actor: User | None, now: datetime | None = None) -> Ingested:
    """Store a batch, all or nothing. Items: ``{quantity, value, unit?, at?, slot_id?,
    sensor?}``. Raises NotFound (tent), Invalid (errors keyed ``<index>.<field>``)."""
    now = now or utcnow()
    tent = get_tent(session, tent_id)
    if not items:
        raise Invalid("Send at least one reading.", {"body": ["Send at least one reading."]})
    if len(items) > MAX_BATCH:
        raise Invalid(f"Send at most {MAX_BATCH} readings at a time.",
                      {"body": [f"At most {MAX_BATCH} readings."]})
    rows = _check(session, tent, items, now, source)
    return store_checked(session, tent=tent, rows=rows, source=source, actor=actor,
                         received=len(items))


def store_checked(session: Session, *, tent: Tent, rows: list[dict], source: str,
                  actor: User | None, received: int) -> Ingested:
    """Store rows that ``check_item`` made (any number, in chunks): one audited batch row,
    a reading already stored is skipped, the roll-ups get only what was inserted."""
    unique = {(r["quantity"], r["at"], r["sensor"]): r for r in rows}
    rows = list(unique.values())
    batch = ReadingBatch(tent_id=tent.id, source=source, received=received, stored=0,
                         first_at=min(r["at"] for r in rows), last_at=max(r["at"] for r in rows),
                         user_id=actor.id if actor else None)
    session.add(batch)
    session.flush()
    stored: list[dict] = []
    for start in range(0, len(rows), CHUNK):
        chunk = [{**r, "source": source, "batch_id": batch.id} for r in rows[start:start + CHUNK]]
        stmt = _insert(session, Reading, chunk)
        stmt = stmt.on_conflict_do_nothing(
            index_elements=["tent_id", "quantity", "at", "sensor"]).returning(
            Reading.id, Reading.quantity, Reading.value, Reading.at, Reading.slot_id)
        stored += [dict(r._mapping) for r in session.execute(stmt)]
    batch.stored = len(stored)
    _roll_up(session, tent.id, stored)
    if source != "mqtt" and stored:  # MQTT flushes are in reading_batches (audited) only
        record_event(session, kind="readings.ingested", actor=actor,
                     experiment_id=tent.experiment_id,
                     summary=_summary(tent, source, stored),
                     payload={"tent_id": tent.id, "batch_id": batch.id, "source": source,
                              "stored": len(stored), "received": received})
    session.flush()
    stored.sort(key=lambda r: (r["at"], r["quantity"]))
    return Ingested(batch=batch, received=received, stored=stored)


def _summary(tent: Tent, source: str, stored: list[dict]) -> str:
    if len(stored) == 1:
        r = stored[0]
        q = QUANTITIES[r["quantity"]]
        return f"{tent.code}: {q.label.lower()} {r['value']:.{q.digits}f} {q.unit} ({source})"
    return f"{tent.code}: {len(stored)} readings ({source})"


def hour_of(at: datetime) -> datetime:
    return at.replace(minute=0, second=0, microsecond=0)


def _roll_up(session: Session, tent_id: int, stored: list[dict]) -> None:
    groups: dict[tuple[str, datetime], list[float]] = defaultdict(list)
    for r in stored:
        at = r["at"] if r["at"].tzinfo else r["at"].replace(tzinfo=UTC)
        groups[(r["quantity"], hour_of(at))].append(r["value"])
    if not groups:
        return
    rows = [{"tent_id": tent_id, "quantity": q, "hour": h, "n": len(v), "total": sum(v),
             "min": min(v), "max": max(v)} for (q, h), v in sorted(groups.items())]
    dialect = session.get_bind().dialect.name
    least, greatest = (func.least, func.greatest) if dialect == "postgresql" else (func.min,
                                                                                   func.max)
    for start in range(0, len(rows), CHUNK):
        stmt = _insert(session, ReadingHour, rows[start:start + CHUNK])
        ex = stmt.excluded
        stmt = stmt.on_conflict_do_update(
            index_elements=["tent_id", "quantity", "hour"],
            set_={"n": ReadingHour.n + ex.n, "total": ReadingHour.total + ex.total,
                  "min": least(ReadingHour.min, ex.min), "max": greatest(ReadingHour.max, ex.max)})
        session.execute(stmt)


def list_readings(session: Session, *, tent_id: int, quantity: str | None = None,
                  start: datetime | None = None, end: datetime | None = None,
                  limit: int = 1000, offset: int = 0) -> tuple[int, list[Reading]]:
    """Raw readings in time order (only as far back as they are kept)."""
    get_tent(session, tent_id)
    where = [Reading.tent_id == tent_id]
    if quantity:
        where.append(Reading.quantity == quantity)
    if start:
        where.append(Reading.at >= start)
    if end:
        where.append(Reading.at < end)
    count = session.scalar(select(func.count()).select_from(Reading).where(*where))
    rows = session.scalars(select(Reading).where(*where).order_by(Reading.at, Reading.id)
                           .limit(limit).offset(offset)).all()
    return count or 0, list(rows)


def list_hours(session: Session, *, tent_ids: list[int], quantity: str | None = None,
               start: datetime | None = None, end: datetime | None = None) -> list:
    """Hourly roll-ups as rows (``tent_id, quantity, hour, n, total, min, max``): plain
    rows, not ORM objects, because a week of seven quantities is over a thousand."""
    h = ReadingHour
    # every quantity named: (tent, quantity, hour) is the only index, and without the
    # quantity a window is a scan of the tent's whole history (a year: 61,000 rows)
    where = [h.tent_id.in_(tent_ids),
             h.quantity == quantity if quantity else h.quantity.in_(list(QUANTITIES))]
    if start:
        where.append(h.hour >= hour_of(start))
    if end:
        where.append(h.hour < end)
    return list(session.execute(select(h.tent_id, h.quantity, h.hour, h.n, h.total, h.min,
                                       h.max).where(*where).order_by(h.hour, h.quantity)))


@cache
def _series_statement(dialect: str):
    """Built once per dialect (tent and start are bound parameters)."""
    h = ReadingHour
    # SQLite: julianday() is a tenth of strftime('%s')'s cost (exact after rounding)
    epoch = (cast(func.round((func.julianday(h.hour) - 2440587.5) * 86400), Integer)
             if dialect == "sqlite" else cast(extract("epoch", h.hour), BigInteger))
    return (select(h.quantity, epoch, h.total / h.n, h.min, h.max)
            .where(h.tent_id == bindparam("tent_id", type_=Integer),
                   h.quantity.in_(list(QUANTITIES)), h.hour >= bindparam("start"))
            .order_by(h.quantity, h.hour))


def hour_series(session: Session, *, tent_id: int, start: datetime
                ) -> dict[str, list[tuple[int, float, float, float]]]:
    """The tent's hourly roll-ups from the hour containing ``start`` on, per quantity,
    oldest first, as ``(hour start in epoch seconds, mean, min, max)`` — what the tent
    page's charts draw. One statement, one index range per quantity; the hour comes back
    as a number from the database (a week of seven quantities is over a thousand rows,
    and parsing as many datetimes costs more than the query)."""
    out: dict[str, list] = defaultdict(list)
    conn = session.connection()  # Core rows: the ORM's result layer adds a third
    rows = conn.execute(_series_statement(conn.dialect.name),
                        {"tent_id": tent_id, "start": hour_of(start)}).all()  # one fetchall
    for quantity, at, mean, low, high in rows:
        out[quantity].append((at, mean, low, high))
    return dict(out)


@cache
def _latest_statement():
    """Built once (the tent id is a bound parameter): composing seven SELECTs costs more
    than running them."""
    tent_id = bindparam("tent_id", type_=Integer)
    parts = [select(Reading.id).where(Reading.tent_id == tent_id, Reading.quantity == q)
             .order_by(Reading.at.desc()).limit(1).subquery().select() for q in QUANTITIES]
    return select(Reading).where(Reading.id.in_(select(union_all(*parts).subquery().c.id)))


def latest_readings(session: Session, *, tent_id: int) -> dict[str, Reading]:
    """The newest reading of each quantity, in one statement (one index seek each)."""
    rows = session.scalars(_latest_statement(), {"tent_id": tent_id})
    return {r.quantity: r for r in rows}


def prune_readings(session: Session, *, keep_days: float, now: datetime | None = None) -> int:
    """Delete raw readings older than ``keep_days`` (their hourly roll-ups stay)."""
    if keep_days <= 0:
        return 0
    cutoff = (now or utcnow()) - timedelta(days=keep_days)
    return session.execute(delete(Reading).where(Reading.at < cutoff)).rowcount or 0
