"""The report page (tables + SVG charts) and the CSV downloads."""

from __future__ import annotations

from itertools import chain

from flask import Response, abort, render_template, request, stream_with_context

from ...extensions import db
from ...services import experiments as exp_service
from ...services.exports import EXPORTS, to_csv
from ...services.readiness import status_summary
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


def csv_response(experiment_id: int, name: str) -> Response:
    """Stream an export. The first row is produced before the response starts, so a missing
    experiment is a clean 404 rather than a broken download."""
    if name not in EXPORTS:
        abort(404)
    session = db.session
    exp_service.get_experiment(session, experiment_id)
    rows = EXPORTS[name](session, experiment_id)
    first = next(rows)
    body = stream_with_context(to_csv(chain([first], rows)))
    filename = f"experiment-{experiment_id}-{name}.csv"
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store"})


@bp.get("/export/<name>.csv")
def export(experiment_id: int, name: str):
    return csv_response(experiment_id, name)
