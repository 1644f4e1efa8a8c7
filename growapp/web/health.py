"""Liveness and readiness probes."""

from __future__ import annotations

import sqlite3
from functools import lru_cache

from flask import Blueprint, jsonify
from sqlalchemy import text

from ..extensions import BUSY_TIMEOUT_MS, db, job_queue
from ..http.access import public
from ..migrations_runner import current_revision, head_revision

bp = Blueprint("health", __name__)
WRITE_PROBE_MS = 1000


@lru_cache(maxsize=1)
def _head() -> str | None:
    return head_revision()  # the scripts on disk do not change while the app runs


def _writes_possible(session) -> bool:
    """Can a write transaction begin now? SQLite: take the write lock (BEGIN IMMEDIATE)
    within WRITE_PROBE_MS on a pool connection, then let it go; PostgreSQL: the session is
    not read-only (a standby, or default_transaction_read_only)."""
    engine = session.get_bind().engine  # the bind may be a Connection (tests)
    if engine.dialect.name != "sqlite":
        return session.execute(text("SHOW transaction_read_only")).scalar() == "off"
    raw = engine.raw_connection()  # below SQLAlchemy's own BEGIN (see extensions)
    try:
        cur = raw.cursor()
        cur.execute(f"PRAGMA busy_timeout={WRITE_PROBE_MS}")
        try:
            cur.execute("BEGIN IMMEDIATE")
            cur.execute("ROLLBACK")
            return True
        except sqlite3.OperationalError:  # "database is locked"
            return False
        finally:
            cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            cur.close()
    finally:
        raw.close()


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
        writable = _writes_possible(db.session)
    except Exception as exc:  # noqa: BLE001 - report, never raise, from a probe
        return jsonify(status="unavailable", database=False, detail=type(exc).__name__), 503
    if not writable:
        return jsonify(status="unavailable", database=True, writable=False,
                       detail="The database does not accept writes right now."), 503
    head = _head()
    queue = job_queue().ready()  # {"redis": bool} when jobs go to Redis
    if queue and not all(queue.values()):
        return jsonify(status="unavailable", database=True, revision=current, head=head,
                       **queue, detail="The job queue (Redis) is not answering."), 503
    ok = current == head
    return jsonify(status="ok" if ok else "migrations_pending", database=True,
                   revision=current, head=head, **queue), (200 if ok else 503)
