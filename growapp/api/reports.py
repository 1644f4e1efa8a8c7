"""Report numbers and CSV exports."""

from __future__ import annotations

from pydantic import Field
from sqlalchemy.orm import Session

from ..http.downloads import csv_response, zip_response
from ..services.environment.report import tent_conditions
from ..services.reports import build_report
from .framework import endpoint
from .schemas import StrictIn

TAG = "Reports and exports"


class ReportQuery(StrictIn):
    split: str | None = Field(None, pattern="^(category|grade)$")


@endpoint("/experiments/<int:experiment_id>/export/<name>.csv", "GET", tag=TAG, errors=(404,),
          summary="CSV export: plants, events, metrics (tidy long), feedings, rotations, "
                  "adverse, environment (raw readings), environment_hourly; streamed",
          produces="text/csv")
def export_csv(session: Session, experiment_id: int, name: str):
    return csv_response(experiment_id, name)


@endpoint("/experiments/<int:experiment_id>/export/all.zip", "GET", tag=TAG, errors=(404,),
          summary="Everything in one zip: every CSV, design.json (design + data "
                  "dictionary), metric_definitions.csv, and R and Python scripts that "
                  "reproduce the report's contrasts; streamed", produces="application/zip")
def export_all_zip(session: Session, experiment_id: int):
    return zip_response(experiment_id)


@endpoint("/experiments/<int:experiment_id>/report", "GET", tag=TAG, query=ReportQuery,
          errors=(404,), summary="Change from baseline by recipe and week (mean, SD, n), "
                                 "tray-level differences to R0 with 95% intervals, feeding "
                                 "compliance, adverse events, randomisation record")
def get_report(session: Session, experiment_id: int, query: ReportQuery):
    r = build_report(session, experiment_id=experiment_id, split=query.split)
    return {
        "experiment_id": experiment_id, "split": r.split, "weeks": r.measured_weeks,
        "weeks_in_progress": r.weeks_in_progress,
        "metrics": [{"key": m.key, "label": m.label, "unit": m.unit, "cells": [
            {"stratum": s or None, "recipe": rc, "week": w, "n": c.n, "mean": c.mean,
             "sd": c.sd, "difference_vs_r0": m.difference(s, rc, w)}
            for (s, rc, w), c in sorted(m.cells.items())],
            "contrasts": [_contrast(s, w, c) for (s, w), fit in m.fits.items()
                          for c in fit.contrasts],
            "fits": [_fit(s, w, fit) for (s, w), fit in m.fits.items()]} for m in r.metrics],
        "feeding_compliance": r.feeding, "schedule_compliance": r.schedules,
        "adverse_events": r.adverse,
        "randomisation": ({k: v for k, v in r.allocation.items() if k != "at"}
                          | {"at": r.allocation["at"].isoformat()}) if r.allocation else None,
        "environment": tent_conditions(session, experiment=r.experiment).as_dict(),
    }


def _contrast(stratum: str, week: int, c) -> dict:
    return {"week": week, "stratum": stratum or None, "recipe": c.recipe, "vs": c.vs,
            "estimate": c.estimate, "ci_low": c.ci_low, "ci_high": c.ci_high,
            "p_value": c.p_value, "p_adjusted": c.p_adjusted, "unit": "tray",
            "n_units": c.n_units, "n_plants": c.n_plants, "method": c.method}


def _fit(stratum: str, week: int, fit) -> dict:
    """What one fit rests on: degrees of freedom, ICC, the tray SD, and why it cannot tell."""
    return {"week": week, "stratum": stratum or None, "df": fit.df, "icc": fit.icc,
            "tray_sd": fit.tray_sd, "n_units": fit.trays, "n_plants": fit.plants,
            "problem": fit.problem}
