"""Liveness and readiness probes."""

from __future__ import annotations

from functools import lru_cache

from flask import Blueprint, jsonify
from sqlalchemy import text

from ..extensions import db, job_queue
from ..http.access import public
from ..migrations_runner import current_revision, head_revision

bp = Blueprint("health", __name__)


@lru_cache(maxsize=1)
def _head() -> str | None:
    return head_revision()  # the scripts on disk do not change while the app runs


@bp.get("/healthz")
@public
def healthz():
    return jsonify(status="ok")


@bp.get("/readyz")
@public
def readyz():
    try:
        db.session.execute(text("SELECT 1"))
        current = current_revision(db.session.connection())
    except Exception as exc:  # noqa: BLE001 - report, never raise, from a probe
        return jsonify(status="unavailable", database=False, detail=type(exc).__name__), 503
    head = _head()
    queue = job_queue().ready()  # {"redis": bool} when jobs go to Redis
    if queue and not all(queue.values()):
        return jsonify(status="unavailable", database=True, revision=current, head=head,
                       **queue, detail="The job queue (Redis) is not answering."), 503
    ok = current == head
    return jsonify(status="ok" if ok else "migrations_pending", database=True,
                   revision=current, head=head, **queue), (200 if ok else 503)
