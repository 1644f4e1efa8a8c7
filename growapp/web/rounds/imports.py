"""Weekly measurements from a CSV, for trials that started on paper: check, then import."""

from __future__ import annotations

from flask import render_template, url_for
from flask_login import current_user

from ...extensions import db
from ...http.htmx import render, wants_fragment
from ...services import experiments as exp_service
from ...services.measurement_import import import_measurements, metric_columns
from ...services.observations import current_week
from ...services.read.readiness import setup_status
from ..csv_import import csv_import_write
from ..writes import respond
from . import bp


def _context(experiment_id: int, **extra) -> dict:
    session = db.session
    experiment = exp_service.get_experiment(session, experiment_id)
    return {"experiment": experiment, "bar_setup": setup_status(session, experiment_id),
            "metric_keys": metric_columns(session, experiment_id=experiment_id),
            "week": current_week(experiment), **extra}


@bp.get("/measurements/import")
def measurements_import(experiment_id: int):
    return render_template("rounds/import.html", **_context(experiment_id))


@bp.post("/measurements/import")
def measurements_import_csv(experiment_id: int):
    """Dry run by default; ``confirm=1`` imports the same text all-or-nothing."""
    def run(data: bytes, dry_run: bool):
        return import_measurements(db.session, experiment_id=experiment_id, data=data,
                                   actor=current_user, dry_run=dry_run)

    def show(**preview):
        return render("rounds/import.html", "rounds/_import.html",
                      **_context(experiment_id, **preview))

    def imported(result):
        message = f"Imported {result.created} weekly measurements."
        target = url_for("reports.index", experiment_id=experiment_id)
        if wants_fragment():
            return render_template("rounds/_import.html", **_context(
                experiment_id, imported=result, message=message))
        return respond(fragment=None, redirect_to=target, flash_message=message)

    return csv_import_write(run, show=show, imported=imported)
