"""Weekly measurements from a CSV, for trials that started on paper: check, then import."""

from __future__ import annotations

from flask import render_template, request, url_for
from flask_login import current_user

from ...extensions import db
from ...http.htmx import render, wants_fragment
from ...services import experiments as exp_service
from ...services.errors import Invalid
from ...services.measurement_import import import_measurements, metric_columns
from ...services.observations import current_week
from ...services.plant_import import ImportRejected
from ...services.read.readiness import status_summary
from ..writes import page_write, respond
from . import bp


def _context(experiment_id: int, **extra) -> dict:
    session = db.session
    experiment = exp_service.get_experiment(session, experiment_id)
    return {"experiment": experiment, "summary": status_summary(session, experiment_id),
            "metric_keys": metric_columns(session, experiment_id=experiment_id),
            "week": current_week(experiment), **extra}


@bp.get("/measurements/import")
def measurements_import(experiment_id: int):
    return render_template("rounds/import.html", **_context(experiment_id))


@bp.post("/measurements/import")
def measurements_import_csv(experiment_id: int):
    """Dry run by default; ``confirm=1`` imports the same text all-or-nothing."""
    confirm = request.form.get("confirm") == "1"
    upload = request.files.get("file")
    data = upload.read() if upload and upload.filename else \
        (request.form.get("csv_text") or "").encode("utf-8")

    def action():
        if not data.strip():
            raise Invalid("Choose a CSV file first.", {"file": ["No file was chosen."]})
        return import_measurements(db.session, experiment_id=experiment_id, data=data,
                                   actor=current_user, dry_run=not confirm)

    def show(result, problem=None):
        csv_text = data.decode("utf-8-sig", errors="replace") if result else ""
        return render("rounds/import.html", "rounds/_import.html",
                      **_context(experiment_id, import_result=result, import_problem=problem,
                                 csv_text=csv_text))

    def done(result):
        if not confirm:
            return show(result)
        message = f"Imported {result.created} weekly measurements."
        target = url_for("reports.index", experiment_id=experiment_id)
        if wants_fragment():
            return render_template("rounds/_import.html", **_context(
                experiment_id, imported=result, message=message))
        return respond(fragment=None, redirect_to=target, flash_message=message)

    def problem(exc):
        if isinstance(exc, ImportRejected):
            return show(exc.result, exc.detail)
        return show(None, exc.detail + " " + " ".join(sum(getattr(exc, "errors", {}).values(),
                                                          [])))

    return page_write(action, done=done, problem=problem, dry_run=not confirm)
