"""Files from the file store (growapp.storage) streamed to the client, never read whole."""

from __future__ import annotations

from flask import Response, send_file

from ..services.errors import Gone


def stored_file_response(storage, key: str, *, mimetype: str, download_name: str) -> Response:
    """An attachment streamed from ``storage.open(key)`` in chunks. Raises Gone when the
    object is no longer stored."""
    try:
        size = storage.size(key)
        stream = storage.open(key)
    except FileNotFoundError as exc:
        raise Gone("This file is no longer stored; start the job again.") from exc
    resp = send_file(stream, mimetype=mimetype, as_attachment=True,
                     download_name=download_name, conditional=False, etag=False)
    resp.content_length = size
    resp.headers["Cache-Control"] = "private, no-store"
    return resp
