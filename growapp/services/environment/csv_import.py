"""A data logger's CSV export into a tent's readings: a dry run that says what would be
stored, then all-or-nothing (source ``csv``).

Two shapes, told apart by the header:

- *wide*: one row per time, one column per quantity (``time,temperature_c,humidity``;
  ``Timestamp,Temp (°F),RH (%)``): the quantity and unit come from the column's name, or
  from the mapping given (``{"Temp": ("temperature", "°F")}``); unknown columns (battery,
  dew point) are listed as ignored;
- *tidy*: ``at,quantity,value,unit`` (unit optional), one reading per row.

The time column is ``at``, ``time``, ``timestamp``, ``datetime`` or ``date`` unless named.
Times must carry their offset, or ``offset`` (``+01:00`` or an IANA zone such as
``Europe/Berlin``) says which clock the logger kept. Every reading is checked by the one
check every way in uses (``readings.check_item``) and stored by ``readings.store_checked``:
a reading already stored (same tent, sensor, quantity and time) is skipped, roll-ups get
only what was inserted. File rules are the plant import's (encoding, binary refused)
with a larger cap: ``MAX_BYTES`` (413 above it) and ``MAX_READINGS``."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import Reading, Tent, User, utcnow
from ..errors import Invalid
from ..plant_import import decode_csv
from .readings import check_item, get_tent, parse_at, store_checked
from .units import QUANTITIES

MAX_BYTES = 8 * 1024 * 1024
MAX_READINGS = 200_000
SHOWN_REJECTS = 200  # rejected lines listed in full; the count covers them all
TIME_NAMES = ("at", "time", "timestamp", "datetime", "date_time", "date time", "date/time",
              "date")
NAMES = {"temperature": "temperature", "temp": "temperature", "t": "temperature",
         "air temperature": "temperature", "humidity": "humidity", "rh": "humidity",
         "hum": "humidity", "relative humidity": "humidity", "ppfd": "ppfd", "par": "ppfd",
         "lux": "lux", "illuminance": "lux", "light": "lux", "co2": "co2",
         "carbon dioxide": "co2", "ec": "ec", "conductivity": "ec", "ph": "ph"}
SUFFIX_UNITS = {"c": "°C", "f": "°F", "k": "K", "pct": "%", "percent": "%", "ppm": "ppm",
                "lx": "lx", "lux": "lux", "klx": "klx", "ms_cm": "mS/cm", "us_cm": "µS/cm",
                "umol": "umol/m2/s", "umol_m2_s": "umol/m2/s"}
OFFSET = re.compile(r"^(Z|UTC|[+-]\d{2}:?\d{2})$", re.IGNORECASE)


@dataclass
class Column:
    name: str  # as in the file
    quantity: str | None  # None: ignored
    unit: str | None = None

    def as_dict(self) -> dict:
        return {"name": self.name, "quantity": self.quantity, "unit": self.unit}


@dataclass
class QuantitySummary:
    count: int = 0
    first: datetime | None = None
    last: datetime | None = None

    def add(self, at: datetime) -> None:
        self.count += 1
        self.first = at if self.first is None or at < self.first else self.first
        self.last = at if self.last is None or at > self.last else self.last


@dataclass
class Rejected:
    line: int
    errors: list[str]


@dataclass
class ReadingImport:
    shape: str  # wide | tidy
    time_column: str
    columns: list[Column]
    quantities: dict[str, QuantitySummary] = field(default_factory=dict)
    rejected: list[Rejected] = field(default_factory=list)
    readings: int = 0  # valid readings in the file
    duplicates: int = 0  # of them: already stored, or repeated in the file
    stored: int = 0
    dry_run: bool = True
    rows: list[dict] = field(default_factory=list, repr=False)

    @property
    def new(self) -> int:
        return self.readings - self.duplicates

    @property
    def first(self) -> datetime | None:
        return min((s.first for s in self.quantities.values()), default=None)

    @property
    def last(self) -> datetime | None:
        return max((s.last for s in self.quantities.values()), default=None)

    def as_dict(self) -> dict:
        def iso(v):
            return v.isoformat() if v else None
        return {"dry_run": self.dry_run, "shape": self.shape, "time_column": self.time_column,
                "columns": [c.as_dict() for c in self.columns], "readings": self.readings,
                "duplicates": self.duplicates, "new": self.new, "stored": self.stored,
                "quantities": {q: {"count": s.count, "first": iso(s.first), "last": iso(s.last)}
                               for q, s in self.quantities.items()},
                "rejected_count": len(self.rejected),
                "rejected": [{"line": r.line, "errors": r.errors}
                             for r in self.rejected[:SHOWN_REJECTS]]}


class ReadingsRejected(Invalid):
    """A real import with rejected lines: nothing was stored; ``result`` says why."""

    def __init__(self, result: ReadingImport) -> None:
        super().__init__(f"Nothing was imported: {len(result.rejected)} lines have problems.",
                         {f"line {r.line}": r.errors for r in result.rejected[:SHOWN_REJECTS]})
        self.result = result


def parse_offset(text: str | None) -> tzinfo | None:
    """``+01:00``, ``-0500``, ``Z`` or an IANA zone name; None for none. Raises Invalid."""
    text = (text or "").strip()
    if not text:
        return None
    if OFFSET.match(text):
        if text.upper() in ("Z", "UTC"):
            return UTC
        sign = -1 if text[0] == "-" else 1
        digits = text[1:].replace(":", "")
        hours, minutes = int(digits[:2]), int(digits[2:])
        if hours > 14 or minutes > 59:
            raise Invalid(errors={"offset": ["Use an offset from -14:00 to +14:00."]})
        return timezone(sign * timedelta(hours=hours, minutes=minutes))
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid(errors={"offset": [f"{text!r} is neither an offset like +01:00 nor a "
                                         "time zone like Europe/Berlin."]}) from None


def _guess(name: str) -> tuple[str, str | None] | None:
    """(quantity, unit) from a column's name, or None."""
    text = name.strip()
    unit = None
    m = re.match(r"^(.*?)\s*[\(\[]\s*(.*?)\s*[\)\]]$", text)
    if m:  # "Temp (°F)": the unit as written
        text, unit = m.group(1), m.group(2) or None
    text = text.lower()
    text = text.replace("-", " ").replace(".", " ").strip()
    if text in NAMES:
        return NAMES[text], unit
    base, _, suffix = text.rpartition("_")
    while base:
        if base.replace("_", " ") in NAMES and suffix in SUFFIX_UNITS:
            return NAMES[base.replace("_", " ")], unit or SUFFIX_UNITS[suffix]
        base, _, more = base.rpartition("_")
        suffix = f"{more}_{suffix}"
    underscored = text.replace("_", " ")
    return (NAMES[underscored], unit) if underscored in NAMES else None


def parse_mapping(text: str | None) -> dict[str, tuple[str, str | None]]:
    """``Temp=temperature:°F, RH=humidity`` → ``{"temp": ("temperature", "°F"), …}``
    (column names compared case-insensitively). Raises Invalid."""
    out: dict[str, tuple[str, str | None]] = {}
    for part in (text or "").replace(";", ",").split(","):
        if not part.strip():
            continue
        column, eq, target = part.partition("=")
        quantity, _, unit = target.strip().partition(":")
        if not eq or not column.strip() or quantity.strip() not in QUANTITIES:
            raise Invalid(errors={"columns": [
                f"Write each as column=quantity or column=quantity:unit ({part.strip()!r}); "
                f"quantities: {', '.join(QUANTITIES)}."]})
        out[column.strip().lower()] = (quantity.strip(), unit.strip() or None)
    return out


def _header(names: list[str], time_column: str | None,
            mapping: dict[str, tuple[str, str | None]]) -> tuple[str, int, list[Column]]:
    lowered = [n.strip().lower() for n in names]
    if time_column:
        if time_column.strip().lower() not in lowered:
            raise Invalid("The time column is not in the file.", {"time_column": [
                f"No column {time_column!r}; the header has {', '.join(names)}."]})
        t = lowered.index(time_column.strip().lower())
    else:
        t = next((lowered.index(n) for n in TIME_NAMES if n in lowered), -1)
        if t < 0:
            raise Invalid("The file has no time column.", {"time_column": [
                "Name the time column (the header has " + ", ".join(names) + ")."]})
    if "quantity" in lowered and "value" in lowered and not mapping:
        return "tidy", t, []
    columns = []
    for i, name in enumerate(names):
        if i == t:
            continue
        q = mapping.get(lowered[i]) or (None if mapping else _guess(name))
        columns.append(Column(name.strip(), *(q or (None, None))))
    missing = [c for c in mapping if c not in lowered]
    if missing:
        raise Invalid("A mapped column is not in the file.", {"columns": [
            f"No column {', '.join(missing)}; the header has {', '.join(names)}."]})
    if not any(c.quantity for c in columns):
        raise Invalid("No column holds a known quantity.", {"columns": [
            "Name the columns like temperature_c, humidity, co2, ppfd (or map them: "
            "Temp=temperature:°F), or use at,quantity,value,unit."]})
    return "wide", t, columns


def _time(text: str, zone: tzinfo | None, now: datetime) -> datetime:
    text = text.strip()
    if not text:
        raise ValueError("The time is empty.")
    if zone is not None:
        try:
            naive = datetime.fromisoformat(text[:-1] + "+00:00" if text[-1:] in "Zz" else text)
        except ValueError:
            naive = None
        if naive is not None and naive.tzinfo is None:
            return parse_at(naive.replace(tzinfo=zone), now=now)
    return parse_at(text, now=now)


def _number(text: str):
    try:
        return float(text.replace(",", ".")) if text.count(",") == 1 and "." not in text \
            else float(text)
    except ValueError:
        return text  # check_item says it is not a number


def parse_readings_csv(session: Session, *, tent: Tent, data: bytes,
                       time_column: str | None = None, offset: str | None = None,
                       columns: str | None = None, now: datetime | None = None) -> ReadingImport:
    """Check every line; raises Invalid (header, options) or FileTooLarge for the file."""
    now = now or utcnow()
    zone = parse_offset(offset)
    mapping = parse_mapping(columns)
    text = decode_csv(data, MAX_BYTES)
    first_line = text.split("\n", 1)[0]
    # a spreadsheet set to a decimal comma exports "time;temperature" with "21,5"
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        names = next(reader)
        shape, t, cols = _header(names, time_column, mapping)
    except StopIteration:
        raise Invalid("The file is empty.", {"file": ["The file has no header row."]}) from None
    except csv.Error as exc:
        raise Invalid("The file is not valid CSV.", {"file": [str(exc)]}) from exc
    lowered = [n.strip().lower() for n in names]
    result = ReadingImport(shape=shape, time_column=names[t].strip(), columns=cols)
    seen: dict[tuple[str, datetime], tuple[int, float]] = {}
    try:
        for cells in reader:
            line = reader.line_num
            if not any(c.strip() for c in cells):
                continue
            cells = [c.strip() for c in cells] + [""] * (len(names) - len(cells))
            errors: list[str] = []
            try:
                at = _time(cells[t], zone, now)
            except ValueError as exc:
                result.rejected.append(Rejected(line, [f"Time {cells[t]!r}: {exc}"]))
                continue
            if shape == "tidy":
                get = dict(zip(lowered, cells, strict=False)).get
                items = [("value", {"quantity": get("quantity", "").lower(),
                                    "value": _number(get("value", "")),
                                    "unit": get("unit") or None})]
            else:
                items = [(c.name, {"quantity": c.quantity, "value": _number(cells[i + (i >= t)]),
                                   "unit": c.unit})
                         for i, c in enumerate(cols) if c.quantity and cells[i + (i >= t)]]
            rows = []
            for label, item in items:
                row, problems = check_item(tent, {**item, "at": at}, now=now, source="csv",
                                           tent_slots=set())
                errors += [f"{label}: {m}" for msgs in problems.values() for m in msgs]
                if row is not None:
                    key = (row["quantity"], row["at"])
                    if key in seen and seen[key][1] != row["value"]:
                        errors.append(f"{label}: {row['quantity']} at this time is also on "
                                      f"line {seen[key][0]} with another value.")
                    rows.append(row)
            if errors:
                result.rejected.append(Rejected(line, errors))
                continue
            for row in rows:
                key = (row["quantity"], row["at"])
                if key in seen:
                    result.duplicates += 1
                    continue
                seen[key] = (line, row["value"])
                result.rows.append(row)
                result.quantities.setdefault(row["quantity"], QuantitySummary()).add(row["at"])
                result.readings += 1
            if result.readings > MAX_READINGS:
                raise Invalid("Too many readings.", {"file": [
                    f"Import at most {MAX_READINGS:,} readings per file; split this one."]})
    except csv.Error as exc:
        raise Invalid("The file is not valid CSV.", {"file": [str(exc)]}) from exc
    result.readings += result.duplicates
    if not result.rows and not result.rejected:
        raise Invalid("The file has no readings.", {"file": ["Only a header row was found."]})
    result.duplicates += _already_stored(session, tent, result.rows)
    result.quantities = dict(sorted(result.quantities.items(),
                                    key=lambda kv: list(QUANTITIES).index(kv[0])))
    return result


def _already_stored(session: Session, tent: Tent, rows: list[dict]) -> int:
    """How many of ``rows`` the tent already holds (one statement over their time span)."""
    if not rows:
        return 0
    first, last = min(r["at"] for r in rows), max(r["at"] for r in rows)
    stored = {(q, at if at.tzinfo else at.replace(tzinfo=UTC)) for q, at in session.execute(
        select(Reading.quantity, Reading.at).where(
            Reading.tent_id == tent.id, Reading.sensor == "", Reading.at >= first,
            Reading.at <= last, Reading.quantity.in_({r["quantity"] for r in rows})))}
    return sum(1 for r in rows if (r["quantity"], r["at"]) in stored)


def import_readings_csv(session: Session, *, tent_id: int, data: bytes, actor: User,
                        dry_run: bool = True, time_column: str | None = None,
                        offset: str | None = None, columns: str | None = None,
                        now: datetime | None = None) -> ReadingImport:
    """Dry run: what would be stored. Real run: every reading, or nothing when a line is
    rejected (raises ReadingsRejected). Raises NotFound, Invalid, FileTooLarge."""
    tent = get_tent(session, tent_id)
    result = parse_readings_csv(session, tent=tent, data=data, time_column=time_column,
                                offset=offset, columns=columns, now=now)
    result.dry_run = dry_run
    if dry_run:
        return result
    if result.rejected:
        raise ReadingsRejected(result)
    if result.rows:
        stored = store_checked(session, tent=tent, rows=result.rows, source="csv",
                               actor=actor, received=result.readings)
        result.stored = len(stored.stored)
        result.duplicates = result.readings - result.stored
    return result
