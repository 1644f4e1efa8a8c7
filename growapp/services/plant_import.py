"""CSV import of plants: a dry run that reports every row, then all-or-nothing."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Plant, Species, User
from .codes import CODE_RE, next_codes
from .errors import DomainError, Invalid
from .events import record_event
from .experiments import get_experiment, require_not_running
from .plants import GRADES, code_prefix, existing_codes

COLUMNS = ("plant_code", "species", "cultivar", "grade", "notes")
REQUIRED = ("species",)
MAX_ROWS = 2000
MAX_BYTES = 2 * 1024 * 1024


class FileTooLarge(DomainError):
    status = 413


class ImportRejected(Invalid):
    """A real import with row errors: nothing was written; ``result`` lists every row."""

    def __init__(self, result: ImportResult) -> None:
        super().__init__(f"Nothing was imported: {result.error_count} of {len(result.rows)} "
                         "rows have problems.",
                         {f"line {r.line}": r.errors for r in result.rows if r.errors})
        self.result = result


@dataclass
class RowResult:
    line: int
    plant_code: str
    species: str
    cultivar: str = ""
    grade: str | None = None
    notes: str = ""
    errors: list[str] = field(default_factory=list)
    species_id: int | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict:
        return {"line": self.line, "plant_code": self.plant_code, "species": self.species,
                "cultivar": self.cultivar, "grade": self.grade, "ok": self.ok,
                "errors": self.errors}


@dataclass
class ImportResult:
    rows: list[RowResult]
    created: int = 0
    dry_run: bool = True

    @property
    def error_count(self) -> int:
        return sum(1 for r in self.rows if not r.ok)

    def as_dict(self) -> dict:
        return {"dry_run": self.dry_run, "created": self.created, "total_rows": len(self.rows),
                "error_rows": self.error_count, "rows": [r.as_dict() for r in self.rows]}


def decode_csv(data: bytes, max_bytes: int = MAX_BYTES) -> str:
    """UTF-8 (with or without BOM) or Windows-1252 text; refuses big or binary files."""
    if len(data) > max_bytes:
        raise FileTooLarge(f"The file is larger than {max_bytes // (1024 * 1024)} MB. "
                           "Split it into smaller files.")
    if b"\x00" in data[:8192]:
        raise Invalid("That file is not a CSV text file.",
                      {"file": ["The file looks binary. Export it from your spreadsheet as CSV."]})
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise Invalid("That file is not a CSV text file.",
                  {"file": ["Save it as CSV (UTF-8)."]})


def _species_index(session: Session) -> dict[str, Species]:
    index: dict[str, Species] = {}
    for sp in session.scalars(select(Species)):
        for key in (sp.common_name, sp.scientific_name):
            if key:
                index.setdefault(key.strip().lower(), sp)
    return index


def parse_rows(session: Session, *, experiment_id: int, data: bytes) -> list[RowResult]:
    """Check every row against the rules; raises Invalid only for file-level problems."""
    text = decode_csv(data)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise Invalid("The file is empty.", {"file": ["The file has no header row."]}) from None
    except csv.Error as exc:
        raise Invalid("The file is not valid CSV.", {"file": [str(exc)]}) from exc
    names = [h.strip().lower() for h in header]
    missing = [c for c in REQUIRED if c not in names]
    unknown = [h for h in names if h and h not in COLUMNS]
    if missing or unknown:
        msgs = []
        if missing:
            msgs.append("Missing column(s): " + ", ".join(missing) + ".")
        if unknown:
            msgs.append("Unknown column(s): " + ", ".join(unknown) + ".")
        msgs.append("Expected header: " + ",".join(COLUMNS) + " (plant_code, cultivar, grade "
                    "and notes may be left out).")
        raise Invalid("The header row is not right.", {"file": msgs})
    species_by_name = _species_index(session)
    taken = existing_codes(session, experiment_id)
    rows: list[RowResult] = []
    seen: dict[str, int] = {}
    try:
        for values in reader:
            line = reader.line_num
            if not any(v.strip() for v in values):
                continue  # blank line
            if len(rows) >= MAX_ROWS:
                raise Invalid("Too many rows.", {"file": [
                    f"Import at most {MAX_ROWS:,} plants per file; this file has more."]})
            cells = dict(zip(names, [v.strip() for v in values], strict=False))
            row = RowResult(line=line, plant_code=cells.get("plant_code", ""),
                            species=cells.get("species", ""), cultivar=cells.get("cultivar", ""),
                            grade=(cells.get("grade") or "").upper() or None,
                            notes=cells.get("notes", ""))
            if len(values) > len(names):
                row.errors.append(f"Has {len(values)} cells but the header has {len(names)}.")
            sp = species_by_name.get(row.species.lower()) if row.species else None
            if not row.species:
                row.errors.append("Species is empty.")
            elif sp is None:
                row.errors.append(f"Unknown species {row.species!r}; use a common or "
                                  "scientific name from the species list.")
            else:
                row.species_id = sp.id
            if row.grade and row.grade not in GRADES:
                row.errors.append(f"Grade {row.grade!r} is not A, B or C.")
            if len(row.cultivar) > 120:
                row.errors.append("Cultivar is longer than 120 characters.")
            if len(row.notes) > 5000:
                row.errors.append("Notes are longer than 5,000 characters.")
            if row.plant_code:
                if len(row.plant_code) > 40 or not CODE_RE.match(row.plant_code):
                    row.errors.append(f"Code {row.plant_code!r} is not valid (letters, digits, "
                                      "- _ . up to 40).")
                elif row.plant_code in taken:
                    row.errors.append(f"Code {row.plant_code} is already used in this "
                                      "experiment.")
                elif row.plant_code in seen:
                    row.errors.append(f"Code {row.plant_code} is also on line "
                                      f"{seen[row.plant_code]}.")
                seen.setdefault(row.plant_code, line)
            rows.append(row)
    except csv.Error as exc:
        raise Invalid("The file is not valid CSV.", {"file": [str(exc)]}) from exc
    if not rows:
        raise Invalid("The file has no plants.", {"file": ["Only a header row was found."]})
    # Suggest codes for rows without one, continuing per category prefix.
    used = taken | set(seen)
    species_cat = dict(session.execute(select(Species.id, Species.category)).all())
    for row in rows:
        if not row.plant_code and row.species_id:
            code = next_codes(used, code_prefix(session, species_cat[row.species_id]),
                              width=3)[0]
            row.plant_code = code
            used.add(code)
    return rows


def import_plants(session: Session, *, experiment_id: int, data: bytes, actor: User,
                  dry_run: bool = True) -> ImportResult:
    """Dry run: report every row. Real run: write all rows, or nothing if any row fails."""
    experiment = get_experiment(session, experiment_id, lock=not dry_run)
    require_not_running(experiment, "Plants")
    rows = parse_rows(session, experiment_id=experiment.id, data=data)
    result = ImportResult(rows=rows, dry_run=dry_run)
    if result.error_count and not dry_run:
        raise ImportRejected(result)
    if dry_run:
        return result
    session.add_all([Plant(experiment_id=experiment.id, plant_code=r.plant_code,
                           species_id=r.species_id, cultivar=r.cultivar, grade=r.grade,
                           notes=r.notes) for r in rows])
    session.flush()
    result.created = len(rows)
    record_event(session, kind="plants.imported", actor=actor, experiment_id=experiment.id,
                 summary=f"Imported {len(rows)} plants from CSV",
                 payload={"count": len(rows)})
    return result
