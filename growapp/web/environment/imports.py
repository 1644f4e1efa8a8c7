"""A data logger's CSV on the tent page: check (dry run), then import all or nothing."""

from __future__ import annotations

from flask import flash, request, url_for
from flask_login import current_user

from ...extensions import db
from ...http.htmx import render, wants_fragment
from ...services.environment.csv_import import ReadingsRejected, import_readings_csv
from ...services.errors import Invalid
from ..writes import page_write, respond
from . import bp
from .routes import _context, _env

OPTIONS = ("time_column", "offset", "columns")


@bp.post("/import")
def import_csv(experiment_id: int, tent_id: int):
    """Dry run by default; ``confirm=1`` imports the same text all-or-nothing."""
    _env(experiment_id, tent_id)
    confirm = request.form.get("confirm") == "1"
    upload = request.files.get("file")
    data = upload.read() if upload and upload.filename else \
        (request.form.get("csv_text") or "").encode("utf-8")
    options = {k: (request.form.get(k) or "").strip()[:500] or None for k in OPTIONS}

    def action():
        if not data.strip():
            raise Invalid("Choose a CSV file first.", {"file": ["No file was chosen."]})
        return import_readings_csv(db.session, tent_id=tent_id, data=data, actor=current_user,
                                   dry_run=not confirm, **options)

    def show(result, problem=None, errors=None):
        csv_text = data.decode("utf-8-sig", errors="replace") if result else ""
        return render("environment/page.html", "environment/_import.html",
                      **_context(experiment_id, tent_id, import_result=result,
                                 import_problem=problem, import_errors=errors or {},
                                 import_options=options, csv_text=csv_text))

    def done(result):
        if not confirm:
            return show(result)
        message = (f"Imported {result.stored} readings." if result.stored else
                   "Every reading in the file is already stored; nothing new was imported.")
        target = url_for("environment.page", experiment_id=experiment_id, tent_id=tent_id)
        if wants_fragment():  # now, the charts and the roll-ups changed: load the page
            flash(message, "success")
            return "", 204, {"HX-Redirect": target}
        return respond(fragment=None, flash_message=message, redirect_to=target)

    def problem(exc):
        if isinstance(exc, ReadingsRejected):
            return show(exc.result, exc.detail)
        return show(None, exc.detail, getattr(exc, "errors", {}))

    return page_write(action, done=done, problem=problem, dry_run=not confirm)
