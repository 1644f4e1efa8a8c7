"""CSV import of plants: a dry run that reports every row, then all-or-nothing. The file
rules and the run are every row import's (services/row_import.py); the columns and what a
row must hold are here."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Plant, Species, User
from .codes import CODE_RE, highest_number, next_codes
from .events import record_event
from .experiments import get_experiment, require_not_running
from .plants import GRADES, code_prefix, existing_codes
from .row_import import (
    MAX_BYTES,
    MAX_ROWS,
    FileTooLarge,
    ImportRejected,
    ImportRow,
    RowImport,
    check_rows,
    decode_csv,
    header_problem,
    read_header,
    run_import,
)

# The file rules stay importable from here: the environment import and tests use them.
__all__ = ["COLUMNS", "MAX_BYTES", "MAX_ROWS", "FileTooLarge", "ImportRejected", "ImportResult",
           "RowResult", "decode_csv", "import_plants", "parse_rows"]

COLUMNS = ("plant_code", "species", "cultivar", "grade", "notes")
REQUIRED = ("species",)


@dataclass
class RowResult(ImportRow):
    plant_code: str
    species: str
    cultivar: str = ""
    grade: str | None = None
    notes: str = ""
    species_id: int | None = None

    def cells(self) -> dict:
        return {"plant_code": self.plant_code, "species": self.species,
                "cultivar": self.cultivar, "grade": self.grade}


ImportResult = RowImport[RowResult]


def _species_index(session: Session) -> dict[str, Species]:
    index: dict[str, Species] = {}
    for sp in session.scalars(select(Species)):
        for key in (sp.common_name, sp.scientific_name):
            if key:
                index.setdefault(key.strip().lower(), sp)
    return index


def parse_rows(session: Session, *, experiment_id: int, data: bytes) -> list[RowResult]:
    """Check every row against the rules; raises Invalid only for file-level problems."""
    names, reader = read_header(data)
    missing = [c for c in REQUIRED if c not in names]
    unknown = [h for h in names if h and h not in COLUMNS]
    if missing or unknown:
        raise header_problem(missing=missing, unknown=unknown, expected=(
            "Expected header: " + ",".join(COLUMNS) + " (plant_code, cultivar, grade "
            "and notes may be left out)."))
    species_by_name = _species_index(session)
    taken = existing_codes(session, experiment_id)
    seen: dict[str, int] = {}

    def check(line: int, cells: dict[str, str]) -> RowResult:
        row = RowResult(line=line, plant_code=cells.get("plant_code", ""),
                        species=cells.get("species", ""), cultivar=cells.get("cultivar", ""),
                        grade=(cells.get("grade") or "").upper() or None,
                        notes=cells.get("notes", ""))
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
        return row

    rows = check_rows(reader, names, check, counted="plants", empty="The file has no plants.")
    _suggest_codes(session, rows, used=taken | set(seen))
    return rows


def _suggest_codes(session: Session, rows: list[RowResult], *, used: set[str]) -> None:
    """A code for each row without one, continuing the highest number of its category's
    prefix (VFT-011 after VFT-010): one statement per category and one look through the
    codes per prefix, whatever the number of rows."""
    species_cat = dict(session.execute(select(Species.id, Species.category)).all())
    prefixes: dict[str, str] = {}
    high: dict[str, int] = {}  # by prefix, compared case-insensitively as highest_number does
    for row in rows:
        if row.plant_code or not row.species_id:
            continue
        category = species_cat[row.species_id]
        if category not in prefixes:
            prefixes[category] = code_prefix(session, category)
        prefix = prefixes[category]
        if prefix.lower() not in high:
            high[prefix.lower()] = highest_number(used, prefix) or 0
        high[prefix.lower()] += 1
        row.plant_code = next_codes((), prefix, width=3, start=high[prefix.lower()])[0]


def import_plants(session: Session, *, experiment_id: int, data: bytes, actor: User,
                  dry_run: bool = True) -> ImportResult:
    """Dry run: report every row. Real run: write all rows, or nothing if any row fails.
    Raises NotFound, Conflict (running), Invalid, FileTooLarge, ImportRejected."""
    experiment = get_experiment(session, experiment_id, lock=not dry_run)
    require_not_running(experiment, "Plants")
    rows = parse_rows(session, experiment_id=experiment.id, data=data)

    def write(result: ImportResult) -> None:
        session.add_all([Plant(experiment_id=experiment.id, plant_code=r.plant_code,
                               species_id=r.species_id, cultivar=r.cultivar, grade=r.grade,
                               notes=r.notes) for r in result.rows])
        session.flush()
        record_event(session, kind="plants.imported", actor=actor,
                     experiment_id=experiment.id,
                     summary=f"Imported {len(result.rows)} plants from CSV",
                     payload={"count": len(result.rows)})

    return run_import(ImportResult(rows=rows), dry_run=dry_run, write=write)
