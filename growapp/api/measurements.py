"""Weekly measurements imported from a CSV (trials that started on paper)."""

from __future__ import annotations

from flask_login import current_user
from pydantic import BaseModel
from sqlalchemy.orm import Session

from ..services.measurement_import import import_measurements
from .csv_upload import csv_import_response
from .framework import endpoint
from .schemas import StrictIn

TAG = "Measurements"


class MeasurementImportQuery(StrictIn):
    dry_run: bool = True


class MeasurementRowOut(BaseModel):
    line: int
    plant_code: str
    week: int | None
    values: dict
    ok: bool
    errors: list[str]


class MeasurementImportOut(BaseModel):
    dry_run: bool
    created: int
    total_rows: int
    error_rows: int
    columns: list[str]
    rows: list[MeasurementRowOut]


@endpoint("/experiments/<int:experiment_id>/measurements/import", "POST", tag=TAG,
          summary="CSV import of weekly measurements (multipart `file`: plant_code, week, "
                  "<metric keys>); dry_run=1 by default, all-or-nothing",
          query=MeasurementImportQuery, response=MeasurementImportOut,
          errors=(404, 409, 413),
          multipart={"type": "object", "required": ["file"], "properties": {
              "file": {"type": "string", "format": "binary",
                       "description": "CSV: plant_code,week,leaf_count,trap_count,…"}}})
def import_measurements_csv(session: Session, experiment_id: int,
                            query: MeasurementImportQuery):
    return csv_import_response(session, lambda data: import_measurements(
        session, experiment_id=experiment_id, data=data, actor=current_user,
        dry_run=query.dry_run), dry_run=query.dry_run)
