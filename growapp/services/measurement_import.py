"""CSV import of weekly measurements (``plant_code, week, <metric keys>``) for trials that
started on paper: a dry run that reports every row, then all-or-nothing. The file rules and
the run are every row import's (services/row_import.py): UTF-8 with or without BOM or
Windows-1252, any line endings, blank lines skipped, at most 2,000 rows and 2 MB."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Experiment, MetricTemplate, Plant, PlantMetric, Species, User, utcnow
from .errors import Invalid
from .events import record_event
from .experiments import get_experiment
from .metrics import MAX_WEEK, validate_values
from .observations import current_week
from .row_import import ImportRow, RowImport, check_rows, header_problem, read_header, run_import

FIXED = ("plant_code", "week")


@dataclass
class MeasurementRow(ImportRow):
    plant_code: str
    week: int | None
    values: dict = field(default_factory=dict)
    plant_id: int | None = None

    def cells(self) -> dict:
        return {"plant_code": self.plant_code, "week": self.week, "values": self.values}


@dataclass
class MeasurementImport(RowImport[MeasurementRow]):
    columns: list[str] = field(default_factory=list)  # the file's metric keys, in its order

    def summary(self) -> dict:
        return {"columns": self.columns}


def _templates(session: Session) -> dict[str, list[dict]]:
    return {c: list(f or []) for c, f in session.execute(
        select(MetricTemplate.category, MetricTemplate.fields))}


def metric_columns(session: Session, *, experiment_id: int) -> list[str]:
    """The metric keys this experiment's plants can be measured by (the template fields of
    its categories), for the page's hint and the header check."""
    categories = set(session.scalars(select(Species.category).distinct().join(
        Plant, Plant.species_id == Species.id).where(Plant.experiment_id == experiment_id)))
    keys: list[str] = []
    for category, fields in sorted(_templates(session).items()):
        if category in categories:
            keys += [f["key"] for f in fields if f["key"] not in keys]
    return keys


def _week_start(experiment: Experiment, week: int) -> datetime | None:
    return experiment.started_at + timedelta(weeks=week) if experiment.started_at else None


def _check_week(row: MeasurementRow, raw: str, experiment: Experiment, now: datetime) -> None:
    try:
        week = int(raw)
    except ValueError:
        row.errors.append(f"Week {raw!r} is not a whole number." if raw else "Week is empty.")
        return
    if not 0 <= week <= MAX_WEEK:
        row.errors.append(f"Week is a whole number from 0 to {MAX_WEEK}.")
        return
    row.week = week
    if week > 0 and experiment.status == "draft":
        row.errors.append("Weekly measurements start once the experiment is running; only "
                          "week 0 (the baseline) can be imported now.")
    elif week > 0 and experiment.status == "running" and week > current_week(experiment, now):
        row.errors.append(f"Week {week} has not begun (this is week "
                          f"{current_week(experiment, now)}).")


def parse_measurements(session: Session, *, experiment: Experiment, data: bytes,
                       now: datetime | None = None) -> MeasurementImport:
    """Check every row; raises Invalid (file, header, size) or FileTooLarge only for the file."""
    now = now or utcnow()
    names, reader = read_header(data)
    names = ["week" if n == "week_number" else n for n in names]
    known = metric_columns(session, experiment_id=experiment.id)
    missing = [c for c in FIXED if c not in names]
    unknown = [h for h in names if h and h not in FIXED and h not in known]
    metric_keys = [n for n in names if n in known]
    if missing or unknown or not metric_keys:
        raise header_problem(missing=missing, unknown=unknown, expected=(
            "Expected header: plant_code,week and one or more of " + ",".join(known) + "."))
    templates = _templates(session)
    plants = {code: (pid, status, removed_at, category) for pid, code, status, removed_at,
              category in session.execute(
                  select(Plant.id, Plant.plant_code, Plant.status, Plant.removed_at,
                         Species.category).join(Species, Species.id == Plant.species_id)
                  .where(Plant.experiment_id == experiment.id))}
    existing = set(session.execute(
        select(PlantMetric.plant_id, PlantMetric.week_number)
        .join(Plant, Plant.id == PlantMetric.plant_id)
        .where(Plant.experiment_id == experiment.id)).all())
    seen: dict[tuple[str, int], int] = {}

    def check(line: int, cells: dict[str, str]) -> MeasurementRow:
        row = MeasurementRow(line=line, plant_code=cells.get("plant_code", ""), week=None)
        _check_week(row, cells.get("week", ""), experiment, now)
        plant = plants.get(row.plant_code)
        if not row.plant_code:
            row.errors.append("Plant code is empty.")
        elif plant is None:
            row.errors.append(f"No plant {row.plant_code} in this experiment.")
        if plant is None or row.week is None:
            return row
        row.plant_id, status, removed_at, category = plant
        key = (row.plant_code, row.week)
        if key in seen:
            row.errors.append(f"{row.plant_code} week {row.week} is also on line "
                              f"{seen[key]}.")
        seen.setdefault(key, line)
        if (row.plant_id, row.week) in existing:
            row.errors.append(f"{row.plant_code} already has week {row.week} "
                              "measurements; change them on its page.")
        start = _week_start(experiment, row.week)
        if status != "active" and (start is None or removed_at is None
                                   or start > removed_at):
            row.errors.append(f"{row.plant_code} was removed before week {row.week}.")
        given = {k: cells[k] for k in metric_keys if cells.get(k)}
        if not given:
            row.errors.append("The row has no measurements.")
            return row
        try:
            clean = validate_values(templates.get(category, []), given)
            row.values = {k: v for k, v in clean.items() if k in given}  # no implied no
        except Invalid as exc:
            row.values = given
            row.errors += [m for msgs in exc.errors.values() for m in msgs]
        return row

    rows = check_rows(reader, names, check, counted="rows",
                      empty="The file has no measurements.")
    return MeasurementImport(rows=rows, columns=metric_keys)


def import_measurements(session: Session, *, experiment_id: int, data: bytes, actor: User,
                        dry_run: bool = True, now: datetime | None = None) -> MeasurementImport:
    """Dry run: report every row. Real run: write every row, or nothing if any row fails
    (raises ImportRejected with the per-row results). Each row is dated at the start of its
    week (never later than now) and logged on the plant. Raises NotFound, Invalid,
    FileTooLarge, ImportRejected."""
    experiment = get_experiment(session, experiment_id, lock=not dry_run)
    now = now or utcnow()
    result = parse_measurements(session, experiment=experiment, data=data, now=now)

    def write(result: MeasurementImport) -> None:
        for row in result.rows:
            start = _week_start(experiment, row.week)
            session.add(PlantMetric(plant_id=row.plant_id, week_number=row.week,
                                    values=row.values, recorded_by_id=actor.id,
                                    recorded_at=min(start, now) if start else now))
            label = "Baseline" if row.week == 0 else f"Week {row.week}"
            bits = ", ".join(f"{k} {v}" for k, v in list(row.values.items())[:4])
            record_event(session, kind="plant.measured", actor=actor,
                         experiment_id=experiment.id, plant_id=row.plant_id,
                         summary=f"{label} (imported): {bits}",
                         payload={"week_number": row.week, "values": row.values,
                                  "imported": True})
        session.flush()
        record_event(session, kind="metrics.imported", actor=actor, experiment_id=experiment.id,
                     summary=f"Imported {len(result.rows)} weekly measurements from CSV",
                     payload={"count": len(result.rows), "columns": result.columns})

    return run_import(result, dry_run=dry_run, write=write)
