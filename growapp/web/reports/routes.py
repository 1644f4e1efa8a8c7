"""The report page (tables + SVG charts) and the CSV downloads."""

from __future__ import annotations

from flask import render_template, request

from ...extensions import db
from ...http.downloads import csv_response, zip_response
from ...http.htmx import render
from ...models import utcnow
from ...services.analysis import trays_needed
from ...services.clock import zone_of
from ...services.design import design_summary
from ...services.design_check import design_check
from ...services.environment.report import tent_conditions
from ...services.environment.units import fmt
from ...services.exports import EXPORTS
from ...services.read.readiness import setup_status
from ...services.recipes import list_recipes
from ...services.reports import SPLITS, answer_in_words, build_report
from . import bp
from .charts import COLOURS, contrast_chart


@bp.get("/reports")
def index(experiment_id: int):
    session = db.session
    split = request.args.get("split") or None
    if split not in SPLITS:
        split = None
    report = build_report(session, experiment_id=experiment_id, split=split)
    colours = {r.code: COLOURS.get(r.colour, "") for r in list_recipes(session, experiment_id)}
    charts = {(m.key, s): contrast_chart(m, s, colours, report.weeks_in_progress)
              for m in report.metrics for s in m.strata}
    answers = {(m.key, s): answer_in_words(m, report.answer_week, s)
               for m in report.metrics for s in m.strata} if report.answer_week else {}
    return render_template("reports/index.html", experiment=report.experiment,
                           bar_setup=setup_status(session, experiment_id), report=report,
                           charts=charts, answers=answers, split=split, exports=list(EXPORTS),
                           design=design_summary(session, experiment_id=experiment_id),
                           conditions=tent_conditions(session, experiment=report.experiment),
                           fmt=fmt, zone=zone_of(session), generated=utcnow())


@bp.get("/design-check")
def design(experiment_id: int):
    """The smallest difference the design detects, and the trays a given difference needs
    (a GET calculator: nothing is written). Loaded into overview and placement by htmx."""
    check = design_check(db.session, experiment_id=experiment_id)
    spread = next((s for s in check.spreads if s.key == request.args.get("metric")),
                  check.spreads[0] if check.spreads else None)
    sd = _positive(request.args.get("sd")) or (spread.tray_sd if spread else None)
    difference = _positive(request.args.get("difference"))
    needed = trays_needed(difference, sd) if difference and sd else None
    return render("reports/design.html", "reports/_design_check.html", check=check,
                  experiment=check.experiment, spread=spread, sd=sd, difference=difference,
                  needed=needed, asked=difference is not None,
                  bar_setup=setup_status(db.session, experiment_id))


def _positive(text: str | None) -> float | None:
    try:
        value = float(text) if text else None
    except ValueError:
        return None
    return value if value is not None and 0 < value < 1e9 else None


@bp.get("/export/<name>.csv")
def export(experiment_id: int, name: str):
    return csv_response(experiment_id, name)


@bp.get("/export/all.zip")
def export_all(experiment_id: int):
    return zip_response(experiment_id)
