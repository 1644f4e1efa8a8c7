"""Report numbers and CSV exports."""

from __future__ import annotations

from pydantic import Field
from sqlalchemy.orm import Session

from ..http.downloads import csv_response
from ..services.reports import build_report
from .framework import endpoint
from .schemas import StrictIn

TAG = "Reports and exports"


class ReportQuery(StrictIn):
    split: str | None = Field(None, pattern="^(category|grade)$")


@endpoint("/experiments/<int:experiment_id>/export/<name>.csv", "GET", tag=TAG, errors=(404,),
          summary="CSV export: plants, events, metrics (tidy long), feedings, rotations, "
                  "adverse; streamed")
def export_csv(session: Session, experiment_id: int, name: str):
    return csv_response(experiment_id, name)


@endpoint("/experiments/<int:experiment_id>/report", "GET", tag=TAG, query=ReportQuery,
          errors=(404,), summary="Change from baseline by recipe and week (mean, SD, n), "
                                 "feeding compliance, adverse events, randomisation record")
def get_report(session: Session, experiment_id: int, query: ReportQuery):
    r = build_report(session, experiment_id=experiment_id, split=query.split)
    return {
        "experiment_id": experiment_id, "split": r.split, "weeks": r.measured_weeks,
        "metrics": [{"key": m.key, "label": m.label, "unit": m.unit, "cells": [
            {"stratum": s or None, "recipe": rc, "week": w, "n": c.n, "mean": c.mean,
             "sd": c.sd, "difference_vs_r0": m.difference(s, rc, w)}
            for (s, rc, w), c in sorted(m.cells.items())]} for m in r.metrics],
        "feeding_compliance": r.feeding, "schedule_compliance": r.schedules,
        "adverse_events": r.adverse,
        "randomisation": ({k: v for k, v in r.allocation.items() if k != "at"}
                          | {"at": r.allocation["at"].isoformat()}) if r.allocation else None,
    }
