"""The hash-chained audit log, written by one session hook for every insert/update/delete.

Who and why come from ``session.info`` (``actor_id``, ``request_id``, ``ip``, ``reason``),
set by whoever opened the session; services never write audit rows by hand.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import date, datetime, time
from decimal import Decimal

from sqlalchemy import event, insert, inspect, select, text
from sqlalchemy.orm import Session

from ..models import AuditLog, Event, IdempotencyRecord, utcnow

GENESIS = "0" * 64
# Bookkeeping tables whose rows are not data changes worth auditing. (login_failures is
# audited: a failed sign-in is a security event. Touches of last-used/last-seen columns
# are plain UPDATE statements, which this hook never sees.)
SKIP_TABLES = {AuditLog.__tablename__, Event.__tablename__, IdempotencyRecord.__tablename__}
SECRET_COLUMNS = {"password_hash", "token_hash"}
IGNORED_COLUMNS = {"updated_at", "created_at"}


def _plain(value):
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Decimal):
        return float(value)
    return value


def _row_hash(prev_hash: str, row: dict) -> str:
    body = {k: row[k] for k in ("at", "user_id", "action", "table_name", "row_id", "changes",
                                "request_id", "ip", "reason")}
    body["at"] = body["at"].isoformat() if isinstance(body["at"], datetime) else body["at"]
    payload = prev_hash + json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


def _changes(obj, action: str) -> dict:
    state = inspect(obj)
    changes = {}
    for attr in state.mapper.column_attrs:
        key = attr.key
        if key in IGNORED_COLUMNS:
            continue
        hist = state.attrs[key].history
        if action == "insert":
            new = getattr(obj, key)
            if new is not None and new != "":
                changes[key] = [None, "***" if key in SECRET_COLUMNS else _plain(new)]
        elif action == "update":
            if hist.has_changes():
                old = hist.deleted[0] if hist.deleted else None
                new = hist.added[0] if hist.added else None
                if old != new:
                    if key in SECRET_COLUMNS:
                        changes[key] = ["***", "***"]
                    else:
                        changes[key] = [_plain(old), _plain(new)]
        else:  # delete: keep the last values
            values = hist.unchanged or hist.deleted
            old = values[0] if values else None
            if old is not None:
                changes[key] = ["***" if key in SECRET_COLUMNS else _plain(old), None]
    return changes


def _row_id(obj) -> str:
    # identity keys of new objects are only assigned after after_flush; read the columns
    ident = inspect(obj).mapper.primary_key_from_instance(obj)
    return ",".join(str(i) for i in ident)


def _lock_chain(session: Session) -> None:
    """Serialise writers at the chain's tail so two transactions never fork it."""
    if session.info.get("audit_locked"):
        return
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(7312001)"))
    session.info["audit_locked"] = True


def _after_flush(session: Session, _ctx) -> None:
    pending = []
    for action, objs in (("insert", session.new), ("update", session.dirty),
                         ("delete", session.deleted)):
        for obj in objs:
            table = getattr(obj, "__tablename__", None)
            if table is None or table in SKIP_TABLES:
                continue
            if action == "update" and not session.is_modified(obj, include_collections=False):
                continue
            changes = _changes(obj, action)
            if action == "update" and not changes:
                continue
            pending.append((action, table, _row_id(obj), changes))
    if not pending:
        return
    _lock_chain(session)
    conn = session.connection()
    prev = conn.execute(
        select(AuditLog.hash).order_by(AuditLog.id.desc()).limit(1)
    ).scalar() or GENESIS
    info = session.info
    rows = []
    now = utcnow()
    for action, table, row_id, changes in sorted(pending, key=lambda p: (p[1], p[2], p[0])):
        row = {
            "at": now, "user_id": info.get("actor_id"), "action": action, "table_name": table,
            "row_id": row_id, "changes": changes, "request_id": info.get("request_id", ""),
            "ip": info.get("ip", ""), "reason": info.get("reason", ""),
        }
        row["prev_hash"] = prev
        row["hash"] = prev = _row_hash(prev, row)
        row["created_at"] = row["updated_at"] = now
        rows.append(row)
    for row in rows:  # one by one so ids follow the chain order
        conn.execute(insert(AuditLog), row)
    info.pop("reason", None)  # a reason explains one change, not the rest of the session


def _after_end(session: Session, _tx) -> None:
    session.info.pop("audit_locked", None)


def install_audit_hook(session_class: type[Session] = Session) -> None:
    if not event.contains(session_class, "after_flush", _after_flush):
        event.listen(session_class, "after_flush", _after_flush)
        event.listen(session_class, "after_soft_rollback", _after_end)
        event.listen(session_class, "after_commit", lambda s: _after_end(s, None))


def verify_chain(session: Session, batch: int = 5000) -> tuple[bool, int, int | None]:
    """Walk the chain. Returns (ok, rows checked, id of the first bad row or None)."""
    prev = GENESIS
    checked = 0
    last_id = 0
    while True:
        rows = session.execute(
            select(AuditLog).where(AuditLog.id > last_id).order_by(AuditLog.id).limit(batch)
        ).scalars().all()
        if not rows:
            return True, checked, None
        for r in rows:
            row = {"at": r.at, "user_id": r.user_id, "action": r.action,
                   "table_name": r.table_name, "row_id": r.row_id, "changes": r.changes,
                   "request_id": r.request_id, "ip": r.ip, "reason": r.reason}
            if r.prev_hash != prev or _row_hash(prev, row) != r.hash:
                return False, checked, r.id
            prev = r.hash
            checked += 1
            last_id = r.id
        session.expunge_all()
