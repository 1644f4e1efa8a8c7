"""CSV exports for R or pandas: fixed column order (see README), ISO dates, UTF-8, one
header row. Each export is a generator of rows that reads the database in chunks, so
100,000 rows never sit in memory at once."""

from __future__ import annotations

import bisect
import csv
import io
import json
import re
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, tzinfo

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from ..models import (
    AdverseEvent,
    Event,
    FeedingLog,
    Lot,
    MetricTemplate,
    Plant,
    PlantMetric,
    Recipe,
    RotationLog,
    Slot,
    Species,
    Tray,
    User,
)
from .assignment import assignments
from .clock import iso_local, zone_of
from .environment import export as environment_export
from .experiments import get_experiment

CHUNK = 1000

COLUMNS = {
    "plants": ["plant_uuid", "plant_code", "species", "scientific_name", "category", "cultivar",
               "grade", "status", "recipe", "tray", "tent", "slot", "planted_on", "removed_at",
               "removed_reason", "replaced_by", "replaces", "created_at"],
    "events": ["at", "kind", "plant_code", "tray_code", "user", "summary", "payload"],
    "metrics": ["plant_uuid", "plant_code", "week_number", "metric", "value", "unit",
                "recorded_at", "recipe", "grade", "category", "species", "tray", "tent",
                "slot", "status"],
    "feedings": ["fed_at", "plant_uuid", "plant_code", "status", "reason", "recipe", "lot",
                 "amount_ml", "tray", "user", "notes"],
    "rotations": ["moved_at", "tray", "from_slot", "to_slot", "user", "note"],
    "adverse": ["observed_at", "plant_uuid", "plant_code", "kind", "severity", "notes",
                "resolved_at", "recipe", "tray"],
    **environment_export.COLUMNS,
}


def _iso(value, tz: tzinfo = UTC) -> str:
    """ISO 8601; a time in the installation's zone with its offset (2026-03-01T09:15:00+01:00)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return iso_local(value, tz)
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _num(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        short = f"{value:g}"
        return short if float(short) == value else repr(value)  # never lose digits
    return str(value)


# A spreadsheet runs a cell that starts with one of these as a formula (=HYPERLINK(…),
# @SUM(…), +cmd|…); tab and CR are how the same thing is smuggled past a naive check.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def safe_cell(value):
    """A cell a spreadsheet shows as text: formula-looking text gets a leading apostrophe
    (the OWASP advice); numbers, and text that is exactly a number, stay as they are."""
    if not isinstance(value, str) or not value.startswith(FORMULA_START):
        return value
    if NUMBER.fullmatch(value):
        return value
    return "'" + value


def to_csv(rows: Iterator[list]) -> Iterator[str]:
    """Encode rows as CSV text, a chunk of lines at a time; no cell runs as a formula."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")  # RFC 4180: a CR in a cell is quoted
    for n, row in enumerate(rows, start=1):
        writer.writerow([safe_cell(cell) for cell in row])
        if n % 500 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _users(session: Session) -> dict[int, str]:
    return dict(session.execute(select(User.id, User.email)).all())


def plants_rows(session: Session, experiment_id: int) -> Iterator[list]:
    get_experiment(session, experiment_id)
    tz = zone_of(session)
    assigned = assignments(session, experiment_id)
    uuid_of = dict(session.execute(select(Plant.id, Plant.uuid).where(
        Plant.experiment_id == experiment_id)).all())
    replaces = {rby: pid for pid, rby in session.execute(
        select(Plant.id, Plant.replaced_by_id).where(Plant.experiment_id == experiment_id,
                                                     Plant.replaced_by_id.is_not(None)))}
    yield COLUMNS["plants"]
    stmt = (select(Plant, Species).join(Species, Species.id == Plant.species_id)
            .where(Plant.experiment_id == experiment_id).order_by(Plant.plant_code)
            .execution_options(yield_per=CHUNK))
    for p, sp in session.execute(stmt):
        a = assigned[p.id]
        yield [str(p.uuid), p.plant_code, sp.common_name, sp.scientific_name, sp.category,
               p.cultivar, p.grade or "", p.status, a.recipe_code or "", a.tray_code or "",
               a.tent_code or "", a.slot_code or "", _iso(p.planted_on, tz), _iso(p.removed_at, tz),
               p.removed_reason, str(uuid_of[p.replaced_by_id]) if p.replaced_by_id else "",
               str(uuid_of[replaces[p.id]]) if p.id in replaces else "", _iso(p.created_at, tz)]


def events_rows(session: Session, experiment_id: int) -> Iterator[list]:
    get_experiment(session, experiment_id)
    tz = zone_of(session)
    users = _users(session)
    codes = dict(session.execute(select(Plant.id, Plant.plant_code).where(
        Plant.experiment_id == experiment_id)).all())
    trays = dict(session.execute(select(Tray.id, Tray.code).where(
        Tray.experiment_id == experiment_id)).all())
    yield COLUMNS["events"]
    stmt = (select(Event).where(Event.experiment_id == experiment_id)
            .order_by(Event.at, Event.id).execution_options(yield_per=CHUNK))
    for e in session.scalars(stmt):
        yield [_iso(e.at, tz), e.kind, codes.get(e.plant_id, ""), trays.get(e.tray_id, ""),
               users.get(e.user_id, ""), e.summary,
               json.dumps(e.payload, sort_keys=True, default=str) if e.payload else ""]


class SlotHistory:
    """Where each tray stood at any moment, from its rotation log."""

    def __init__(self, session: Session, experiment_id: int):
        src, dst = aliased(Slot), aliased(Slot)
        self.moves: dict[int, list[tuple[datetime, str | None, str]]] = defaultdict(list)
        for tray_id, at, from_code, to_code in session.execute(
                select(RotationLog.tray_id, RotationLog.moved_at, src.code, dst.code)
                .join(Tray, Tray.id == RotationLog.tray_id)
                .outerjoin(src, src.id == RotationLog.from_slot_id)
                .join(dst, dst.id == RotationLog.to_slot_id)
                .where(Tray.experiment_id == experiment_id)
                .order_by(RotationLog.moved_at, RotationLog.id)):
            self.moves[tray_id].append((at, from_code, to_code))
        self.times = {tid: [m[0] for m in moves] for tid, moves in self.moves.items()}

    def slot_at(self, tray_id: int | None, when: datetime, current: str | None) -> str | None:
        moves = self.moves.get(tray_id)
        if not moves:
            return current
        i = bisect.bisect_right(self.times[tray_id], when)
        return moves[0][1] if i == 0 else moves[i - 1][2]


def metrics_rows(session: Session, experiment_id: int) -> Iterator[list]:
    """Tidy long form: one row per plant × week × metric, with design metadata and the slot
    the plant's tray occupied when it was measured."""
    get_experiment(session, experiment_id)
    tz = zone_of(session)
    assigned = assignments(session, experiment_id)
    history = SlotHistory(session, experiment_id)
    units = {}
    order: dict[str, list[str]] = {}
    for category, fields in session.execute(select(MetricTemplate.category,
                                                   MetricTemplate.fields)):
        order[category] = [f["key"] for f in fields or []]
        for f in fields or []:
            units.setdefault(f["key"], f.get("unit") or "")
    yield COLUMNS["metrics"]
    stmt = (select(PlantMetric, Plant.uuid, Plant.plant_code, Plant.grade, Plant.status,
                   Plant.id, Species.category, Species.common_name)
            .join(Plant, Plant.id == PlantMetric.plant_id)
            .join(Species, Species.id == Plant.species_id)
            .where(Plant.experiment_id == experiment_id, PlantMetric.voided_at.is_(None))
            .order_by(Plant.plant_code, PlantMetric.week_number)
            .execution_options(yield_per=CHUNK))
    for m, puuid, code, grade, status, pid, category, species in session.execute(stmt):
        a = assigned[pid]
        slot = history.slot_at(a.tray_id, m.recorded_at, a.slot_code)
        keys = order.get(category, [])
        for key in keys + sorted(set(m.values) - set(keys)):
            if key in m.values:
                yield [str(puuid), code, m.week_number, key, _num(m.values[key]),
                       units.get(key, ""), _iso(m.recorded_at, tz), a.recipe_code or "",
                       grade or "", category, species, a.tray_code or "", a.tent_code or "",
                       slot or "", status]


def feedings_rows(session: Session, experiment_id: int) -> Iterator[list]:
    get_experiment(session, experiment_id)
    tz = zone_of(session)
    users = _users(session)
    recipes = dict(session.execute(select(Recipe.id, Recipe.code).where(
        Recipe.experiment_id == experiment_id)).all())
    lots = dict(session.execute(select(Lot.id, Lot.code).where(
        Lot.experiment_id == experiment_id)).all())
    trays = dict(session.execute(select(Tray.id, Tray.code).where(
        Tray.experiment_id == experiment_id)).all())
    yield COLUMNS["feedings"]
    stmt = (select(FeedingLog, Plant.uuid, Plant.plant_code)
            .join(Plant, Plant.id == FeedingLog.plant_id)
            .where(Plant.experiment_id == experiment_id, FeedingLog.voided_at.is_(None))
            .order_by(FeedingLog.fed_at, FeedingLog.id).execution_options(yield_per=CHUNK))
    for log, puuid, code in session.execute(stmt):
        yield [_iso(log.fed_at, tz), str(puuid), code, log.status, log.reason,
               recipes.get(log.recipe_id, ""), lots.get(log.lot_id, ""), _num(log.amount_ml),
               trays.get(log.tray_id, ""), users.get(log.user_id, ""), log.notes]


def rotations_rows(session: Session, experiment_id: int) -> Iterator[list]:
    get_experiment(session, experiment_id)
    tz = zone_of(session)
    users = _users(session)
    src, dst = aliased(Slot), aliased(Slot)
    yield COLUMNS["rotations"]
    for log, tray, from_code, to_code in session.execute(
            select(RotationLog, Tray.code, src.code, dst.code)
            .join(Tray, Tray.id == RotationLog.tray_id)
            .outerjoin(src, src.id == RotationLog.from_slot_id)
            .join(dst, dst.id == RotationLog.to_slot_id)
            .where(Tray.experiment_id == experiment_id)
            .order_by(RotationLog.moved_at, RotationLog.id).execution_options(yield_per=CHUNK)):
        yield [_iso(log.moved_at, tz), tray, from_code or "", to_code, users.get(log.user_id, ""),
               log.note]


def adverse_rows(session: Session, experiment_id: int) -> Iterator[list]:
    get_experiment(session, experiment_id)
    tz = zone_of(session)
    assigned = assignments(session, experiment_id)
    yield COLUMNS["adverse"]
    for e, puuid, code, pid in session.execute(
            select(AdverseEvent, Plant.uuid, Plant.plant_code, Plant.id)
            .join(Plant, Plant.id == AdverseEvent.plant_id)
            .where(Plant.experiment_id == experiment_id, AdverseEvent.voided_at.is_(None))
            .order_by(AdverseEvent.observed_at, AdverseEvent.id)):
        a = assigned[pid]
        yield [_iso(e.observed_at, tz), str(puuid), code, e.kind, e.severity, e.notes,
               _iso(e.resolved_at, tz), a.recipe_code or "", a.tray_code or ""]


EXPORTS = {"plants": plants_rows, "events": events_rows, "metrics": metrics_rows,
           "feedings": feedings_rows, "rotations": rotations_rows, "adverse": adverse_rows,
           "environment": environment_export.environment_rows,
           "environment_hourly": environment_export.environment_hourly_rows}
