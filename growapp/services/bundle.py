"""The all-in-one export: every CSV, ``design.json`` with a data dictionary, and two short
scripts (R, Python) that reproduce the report's tray-level contrasts from the CSVs.

The zip is written by ``zipfile`` into a small buffer that is emptied after every chunk,
so the archive streams and never sits whole in memory (the CSVs are generators too).
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy.orm import Session

from .design import design_record
from .environment.export import DICTIONARY as ENVIRONMENT_DICTIONARY
from .exports import COLUMNS, EXPORTS, to_csv

SCRIPTS = Path(__file__).resolve().parent.parent / "analysis_scripts"
SCRIPT_FILES = ("reproduce_report.py", "reproduce_report.R")

DICTIONARY = {
    "plants": {
        "plant_uuid": "the plant's permanent id (its QR label)",
        "plant_code": "the code printed on the label, unique in the experiment",
        "species": "common name", "scientific_name": "scientific name",
        "category": "species category (flytrap, sundew, …): picks the metric template",
        "cultivar": "cultivar, may be empty", "grade": "A, B or C at baseline; empty: ungraded",
        "status": "active or removed",
        "recipe": "recipe code of the plant's tray (removed plants: their last tray)",
        "tray": "tray code (the experimental unit)", "tent": "tent code of the tray's slot",
        "slot": "slot code (tent-shelf-position) the tray stands in now",
        "planted_on": "ISO date", "removed_at": "ISO timestamp (UTC), empty while active",
        "removed_reason": "why it was removed",
        "replaced_by": "plant_uuid of its replacement", "replaces": "plant_uuid it replaced",
        "created_at": "ISO timestamp (UTC)"},
    "events": {
        "at": "ISO timestamp (UTC)", "kind": "what happened (plant.fed, plant.measured, …)",
        "plant_code": "the plant it concerns, if any", "tray_code": "the tray, if any",
        "user": "who did it (e-mail)", "summary": "in words",
        "payload": "details as JSON"},
    "metrics": {
        "plant_uuid": "plant id", "plant_code": "plant code",
        "week_number": "0 = baseline, then weeks since the start",
        "metric": "metric key (see design.json metrics)",
        "value": "the value as measured (numbers, true/false, or a choice)",
        "unit": "the metric's unit, empty when it has none",
        "recorded_at": "ISO timestamp (UTC) of the measurement",
        "recipe": "recipe code (assignment: intention to treat)", "grade": "A, B, C or empty",
        "category": "species category", "species": "common name", "tray": "tray code",
        "tent": "tent code", "slot": "the slot the tray stood in when measured",
        "status": "plant status today"},
    "feedings": {
        "fed_at": "ISO timestamp (UTC)", "plant_uuid": "plant id", "plant_code": "plant code",
        "status": "fed or skipped", "reason": "why skipped", "recipe": "recipe code",
        "lot": "lot code of the solution", "amount_ml": "millilitres given",
        "tray": "tray code", "user": "who fed (e-mail)", "notes": "free text"},
    "rotations": {
        "moved_at": "ISO timestamp (UTC)", "tray": "tray code", "from_slot": "slot code",
        "to_slot": "slot code", "user": "who moved it (e-mail)", "note": "free text"},
    "adverse": {
        "observed_at": "ISO timestamp (UTC)", "plant_uuid": "plant id",
        "plant_code": "plant code", "kind": "pest, disease, damage, stress or other",
        "severity": "1 mild … 3 severe", "notes": "free text",
        "resolved_at": "ISO timestamp (UTC), empty while open", "recipe": "recipe code",
        "tray": "tray code"},
    **ENVIRONMENT_DICTIONARY,
}

README = """\
{name} — exported {when}

CSV files: UTF-8, one header row, ISO dates (UTC). metrics.csv is tidy long form: one row
per plant x week x metric. design.json holds the design (recipes, trays, tents, strata,
seed, allocation, metrics and their units) and a dictionary of every column;
metric_definitions.csv lists the metrics (analysed = true: the numbers the report fits).

Reproduce the report's answer (differences to {control} in change from baseline, estimated
on tray means, 95% t intervals, Holm-adjusted p-values):

  python reproduce_report.py            # needs pandas and statsmodels
  python reproduce_report.py --split grade
  Rscript reproduce_report.R            # base R (stats::lm, p.adjust)

Both print one CSV row per metric, week, stratum and recipe.
"""


def dictionary() -> dict:
    """Column meanings of every CSV, in the CSVs' column order."""
    return {name: {col: DICTIONARY[name][col] for col in cols}
            for name, cols in COLUMNS.items()}


DEFINITION_COLUMNS = ["key", "label", "type", "unit", "min", "max", "choices", "analysed",
                      "categories"]


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "|".join(str(v) for v in value)
    return f"{value:g}" if isinstance(value, float) else str(value)


class _Drain:
    """A write-only file for zipfile: collects bytes until the generator takes them."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        out, self.parts = b"".join(self.parts), []
        return out


def bundle_chunks(session: Session, *, experiment_id: int, exported_at) -> Iterator[bytes]:
    """The zip as a stream of byte chunks. The design is read (and a missing experiment
    raises NotFound) before the first chunk, so callers can fail cleanly."""
    design = design_record(session, experiment_id=experiment_id)
    design["exported_at"] = exported_at.isoformat()
    design["columns"] = dictionary()
    return _stream(session, experiment_id, design)


def _stream(session: Session, experiment_id: int, design: dict) -> Iterator[bytes]:
    drain = _Drain()
    with zipfile.ZipFile(drain, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, rows in EXPORTS.items():
            with zf.open(f"{name}.csv", "w") as entry:
                for text in to_csv(rows(session, experiment_id)):
                    entry.write(text.encode("utf-8"))
                    yield drain.take()
        zf.writestr("design.json", json.dumps(design, indent=2, ensure_ascii=False,
                                              default=str))
        zf.writestr("metric_definitions.csv", "".join(to_csv(iter(
            [DEFINITION_COLUMNS] + [[_cell(m.get(c)) for c in DEFINITION_COLUMNS]
                                    for m in design["metrics"]]))))
        zf.writestr("README.txt", README.format(
            name=design["experiment"]["name"], when=design["exported_at"],
            control=design["analysis"]["control"]))
        for script in SCRIPT_FILES:
            zf.writestr(script, (SCRIPTS / script).read_text(encoding="utf-8"))
        yield drain.take()
    yield drain.take()
