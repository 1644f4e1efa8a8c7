"""Idempotent writes for the web and the API: the first response to a key is stored in the
same transaction as the write, and a retry with that key gets it back, writing nothing.

Keys come from the `Idempotency-Key` header (API) or a hidden `idempotency_key` field that
every logging form renders fresh (web), so a double tap or a retry after a dropped
connection never logs twice.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable

from flask import Response, request
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models.idempotency import IdempotencyRecord
from ..services.errors import Invalid

FORM_FIELD = "idempotency_key"
# Response headers a replay must repeat for htmx to do what the first answer made it do.
HX_HEADERS = ("HX-Redirect", "HX-Refresh", "HX-Location", "HX-Push-Url", "HX-Replace-Url",
              "HX-Retarget", "HX-Reswap", "HX-Reselect", "HX-Trigger", "HX-Trigger-After-Settle",
              "HX-Trigger-After-Swap")


def new_key() -> str:
    return uuid.uuid4().hex


def _request_hash() -> str:
    h = hashlib.sha256()
    h.update(request.method.encode())
    h.update(request.path.encode())
    if request.form or request.files:  # form posts: the fields, minus the CSRF token
        for key in sorted(request.form):
            if key != "csrf_token":
                h.update(f"{key}={request.form.getlist(key)}".encode())
        for key in sorted(request.files):  # parsing used up the body: hash the files
            for upload in request.files.getlist(key):
                h.update(f"{key}={upload.filename}:".encode())
                h.update(hashlib.sha256(upload.stream.read()).digest())
                upload.stream.seek(0)
    else:
        h.update(request.get_data(cache=True))
    return h.hexdigest()


def _replay(record: IdempotencyRecord, request_hash: str) -> Response:
    if record.request_hash != request_hash or record.path != request.path:
        raise Invalid("This Idempotency-Key was already used for a different request.",
                      {"Idempotency-Key": ["Use a new key for a new request."]})
    resp = Response(record.body, status=record.status_code, mimetype=record.content_type)
    resp.headers["Idempotent-Replayed"] = "true"
    if record.location:
        resp.headers["Location"] = record.location
    for name, value in json.loads(record.headers or "{}").items():
        resp.headers[name] = value
    return resp


def _find(session, key: str) -> IdempotencyRecord | None:
    return session.scalar(select(IdempotencyRecord).where(
        IdempotencyRecord.user_id == current_user.id, IdempotencyRecord.key == key))


def run_idempotent(key: str | None, call: Callable[[], Response]) -> Response:
    """Run ``call`` (which writes but does not commit) once per key.

    The response is stored in the same transaction as the write; the caller commits. A
    retry with a key already stored gets the stored response back and writes nothing.
    """
    session = db.session
    key = (key or "").strip()
    if not key:
        return call()
    if len(key) > 128:
        raise Invalid(errors={"Idempotency-Key": ["Use at most 128 characters."]})
    request_hash = _request_hash()
    existing = _find(session, key)
    if existing is not None:
        return _replay(existing, request_hash)
    resp = call()
    if not 200 <= resp.status_code < 400:
        return resp  # errors are not stored: a retry runs again
    session.add(IdempotencyRecord(
        user_id=current_user.id, key=key, method=request.method, path=request.path,
        request_hash=request_hash, status_code=resp.status_code,
        body=resp.get_data(as_text=True), content_type=resp.mimetype,
        location=resp.headers.get("Location", ""),
        headers=json.dumps({h: resp.headers[h] for h in HX_HEADERS if h in resp.headers})))
    try:
        session.flush()
    except IntegrityError:
        # A concurrent retry with the same key won the race (its insert committed first
        # and ours waited on the unique key): undo our copy and answer with its result.
        session.rollback()
        existing = _find(session, key)
        if existing is None:
            raise
        return _replay(existing, request_hash)
    return resp


def form_key() -> str | None:
    return request.form.get(FORM_FIELD)
