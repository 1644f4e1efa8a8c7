"""Streamed downloads shared by the pages and the API."""

from __future__ import annotations

from itertools import chain

from flask import Response, abort, stream_with_context

from ..extensions import db
from ..services import experiments as exp_service
from ..services.exports import EXPORTS, to_csv


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
