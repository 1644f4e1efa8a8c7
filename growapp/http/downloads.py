"""Streamed downloads shared by the pages and the API: CSV exports and stored files."""

from __future__ import annotations

import unicodedata
from itertools import chain
from urllib.parse import quote

from flask import Response, abort, request, stream_with_context
from werkzeug.wsgi import wrap_file

from ..extensions import db
from ..models import utcnow
from ..services import experiments as exp_service
from ..services.bundle import bundle_chunks
from ..services.exports import EXPORTS, to_csv
from ..storage import CHUNK, Storage


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


def zip_response(experiment_id: int) -> Response:
    """Stream the all-in-one export (every CSV, design.json, the analysis scripts). A
    missing experiment is a 404 before the response starts."""
    chunks = bundle_chunks(db.session, experiment_id=experiment_id, exported_at=utcnow())
    filename = f"experiment-{experiment_id}-all.zip"
    return Response(stream_with_context(chunks), mimetype="application/zip", headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store"})


def stored_file_response(storage: Storage, key: str, mimetype: str,
                         download_name: str | None = None, *, etag: str | None = None,
                         cache_control: str = "private, no-cache") -> Response:
    """Stream an object from the file store in CHUNK-sized reads (never whole in memory).

    404 when the key is missing or not a valid key. ``download_name`` makes it an
    attachment. ``etag`` is for objects that never change under their key (photos, finished
    label PDFs): a matching If-None-Match gets 304 without touching the store. The
    default cache policy is private (files are for signed-in users only).
    """
    headers = {"Cache-Control": cache_control, "X-Content-Type-Options": "nosniff"}
    if etag is not None and request.if_none_match.contains_weak(etag):
        resp = Response(status=304, headers=headers)
        resp.set_etag(etag)
        return resp
    try:
        stream = storage.open(key)
    except (FileNotFoundError, ValueError):  # ValueError: a key that is not a valid key
        abort(404)
    resp = Response(wrap_file(request.environ, stream, CHUNK), mimetype=mimetype,
                    headers=headers, direct_passthrough=True)
    if etag is not None:
        resp.set_etag(etag)
    if download_name:
        resp.headers.set("Content-Disposition", "attachment", **_filename(download_name))
    return resp


def _filename(name: str) -> dict[str, str]:
    try:
        name.encode("ascii")
        return {"filename": name}
    except UnicodeEncodeError:
        plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
        return {"filename": plain or "download", "filename*": f"UTF-8''{quote(name, safe='')}"}
