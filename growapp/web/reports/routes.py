"""The report page (tables + SVG charts) and the CSV downloads."""

from __future__ import annotations

from flask import render_template, request

from ...extensions import db
from ...http.downloads import csv_response
from ...services.exports import EXPORTS
from ...services.read.readiness import status_summary
from ...services.recipes import list_recipes
from ...services.reports import SPLITS, build_report
from . import bp
from .charts import COLOURS, line_chart


@bp.get("/reports")
def index(experiment_id: int):
    session = db.session
    split = request.args.get("split") or None
    if split not in SPLITS:
        split = None
    report = build_report(session, experiment_id=experiment_id, split=split)
    colours = {r.code: COLOURS.get(r.colour, "") for r in list_recipes(session, experiment_id)}
    charts = {(m.key, s): line_chart(m, s, colours) for m in report.metrics for s in m.strata}
    return render_template("reports/index.html", experiment=report.experiment,
                           summary=status_summary(session, experiment_id), report=report,
                           charts=charts, split=split, exports=list(EXPORTS))


@bp.get("/export/<name>.csv")
def export(experiment_id: int, name: str):
    return csv_response(experiment_id, name)
