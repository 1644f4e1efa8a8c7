"""The hash-chained audit log, written by one session hook for every insert/update/delete.

Who and why come from ``session.info`` (``actor_id``, ``request_id``, ``ip``, ``reason``),
set by whoever opened the session; services never write audit rows by hand.

Hash schemes (``AuditLog.hash_version``):

1. sha256(prev_hash + json.dumps(row)) — the first scheme; rows written before version 2
   keep verifying with it. Unkeyed, and it hashed the Python values, which JSONB rewrites
   (``-0.0`` → ``0``, ``1e20`` → an integer), so such a row never verified on PostgreSQL.
2. HMAC-SHA256 keyed with ``GROWAPP_AUDIT_KEY`` (a secret kept out of the database) over a
   canonical serialisation that survives the JSON/JSONB round trip: sorted keys, UTF-8,
   every number written as its exact decimal value (``-0.0``, ``0`` and ``0.0`` alike;
   ``1e20`` and ``100000000000000000000`` alike). Once a version 2 row exists, no later row
   may be version 1 (a rewrite cannot fall back to the unkeyed scheme).

Key rotation (``flask audit rotate-key``): rows keep the key they were written with; the
keys used before the current one are given, oldest first, in GROWAPP_AUDIT_KEY_PREVIOUS.
The walk checks each version 2 row with the key in use so far and moves on to a later key
only: once a row verifies with a newer key, no later row may use an older one, so whoever
kept an old key cannot rewrite what came after the rotation.

Writers are serialised by one lock (PostgreSQL: a transaction-level advisory lock; SQLite:
``BEGIN IMMEDIATE`` already does it) taken **before the transaction's first row lock or
write** — before a flush, before an ORM UPDATE/DELETE, before ``SELECT … FOR UPDATE`` — so
every writer takes its locks in one order and the chain never forks. See docs/decisions.md.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

from sqlalchemy import event, func, insert, inspect, select, text
from sqlalchemy.orm import ORMExecuteState, Session

from ..models import AuditLog, Event, IdempotencyRecord, utcnow

GENESIS = "0" * 64
HASH_VERSION = 2
CHAIN_LOCK = 7312001  # pg_advisory_xact_lock key
# Bookkeeping tables whose rows are not data changes worth auditing. (login_failures is
# audited: a failed sign-in is a security event. Touches of last-used/last-seen columns
# are plain UPDATE statements, which this hook never sees.)
SKIP_TABLES = {AuditLog.__tablename__, Event.__tablename__, IdempotencyRecord.__tablename__}
SECRET_COLUMNS = {"password_hash", "token_hash", "secret"}  # secret: webhook signing
IGNORED_COLUMNS = {"updated_at", "created_at"}
FIELDS = ("at", "user_id", "action", "table_name", "row_id", "changes", "request_id", "ip",
          "reason")

_default_key: bytes | None = None


class AuditKeyMissing(RuntimeError):
    """An audit row had to be written or checked without GROWAPP_AUDIT_KEY."""


def use_key(key: str | bytes | None) -> None:
    """The key of audit hashes for sessions that do not carry ``info["audit_key"]``."""
    global _default_key
    _default_key = key.encode() if isinstance(key, str) else key


def key_id(key: str | bytes) -> str:
    """A short name for a key (checkpoints and reports): it tells keys apart, not them."""
    key = key.encode() if isinstance(key, str) else key
    return hmac.new(key, b"growapp-audit-key-id", hashlib.sha256).hexdigest()[:12]


def chain_keys(session: Session | None = None, key: str | bytes | None = None,
               previous=()) -> list[bytes]:
    """Every key the chain may use, oldest first: the previous ones, then the current."""
    keys = [k.encode() if isinstance(k, str) else k for k in previous if k]
    current = resolve_key(session, key)
    return [k for k in keys if k != current] + [current]


def resolve_key(session: Session | None = None, key: str | bytes | None = None) -> bytes:
    key = key or (session.info.get("audit_key") if session is not None else None) \
        or _default_key
    if not key:
        raise AuditKeyMissing("No audit key: set GROWAPP_AUDIT_KEY (see README).")
    return key.encode() if isinstance(key, str) else key


# Canonical serialisation ------------------------------------------------------------------

def _number(value) -> str:
    """An exact, unique spelling of a number: digits without trailing zeros, 'e', exponent.
    The same for a float and for what JSONB gives back for it."""
    if isinstance(value, float):
        if not math.isfinite(value):
            return json.dumps(str(value))
        value = Decimal(repr(value))
    elif not isinstance(value, Decimal):
        value = Decimal(value)
    sign, digits, exponent = value.as_tuple()
    text_digits = "".join(map(str, digits)).lstrip("0")
    if not text_digits:
        return "0"
    stripped = text_digits.rstrip("0")
    exponent += len(text_digits) - len(stripped)
    return f"{'-' if sign else ''}{stripped}e{exponent}"


def canonical(value) -> str:
    """Canonical JSON-like text of a JSON value (after ``_plain``)."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int | float | Decimal):
        return _number(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        items = sorted((str(k), v) for k, v in value.items())
        return "{" + ",".join(json.dumps(k, ensure_ascii=False) + ":" + canonical(v)
                              for k, v in items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(canonical(v) for v in value) + "]"
    return json.dumps(str(_plain(value)), ensure_ascii=False)


def _plain(value):
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Decimal):
        return float(value)
    return value


def _body(row: dict) -> dict:
    body = {k: row[k] for k in FIELDS}
    body["at"] = body["at"].isoformat() if isinstance(body["at"], datetime) else body["at"]
    return body


def _row_hash_v1(prev_hash: str, row: dict) -> str:
    payload = prev_hash + json.dumps(_body(row), sort_keys=True, separators=(",", ":"),
                                     default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


def _row_hash_v2(prev_hash: str, row: dict, key: bytes) -> str:
    body = _body(row)
    body["hash_version"] = 2
    message = f"growapp-audit-v2\n{prev_hash}\n{canonical(body)}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def row_hash(prev_hash: str, row: dict, version: int, key: bytes | None) -> str:
    if version == 1:
        return _row_hash_v1(prev_hash, row)
    if version == 2:
        return _row_hash_v2(prev_hash, row, key)
    raise ValueError(f"unknown audit hash version {version}")


# The session hook -------------------------------------------------------------------------

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


def lock_chain(session: Session) -> None:
    """Take the writers' lock (once per transaction). Call it before the transaction's
    first row lock; the session hooks below do for flushes, ORM UPDATE/DELETE and
    ``SELECT … FOR UPDATE``."""
    if session.info.get("audit_locked"):
        return
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK})
    session.info["audit_locked"] = True


def _before_flush(session: Session, _ctx, _instances) -> None:
    if session.new or session.dirty or session.deleted:
        lock_chain(session)


def _before_orm_execute(state: ORMExecuteState) -> None:
    locking = state.is_select and getattr(state.statement, "_for_update_arg", None) is not None
    if state.is_update or state.is_delete or state.is_insert or locking:
        lock_chain(state.session)
    if locking:  # the row may sit in the identity map as read before the lock: refresh it
        state.update_execution_options(populate_existing=True)


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
    key = resolve_key(session)
    lock_chain(session)
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
        row["hash"] = prev = _row_hash_v2(prev, row, key)
        row["hash_version"] = HASH_VERSION
        row["created_at"] = row["updated_at"] = now
        rows.append(row)
    for row in rows:  # one by one so ids follow the chain order
        conn.execute(insert(AuditLog), row)
    info.pop("reason", None)  # a reason explains one change, not the rest of the session


def _after_end(session: Session, _tx) -> None:
    session.info.pop("audit_locked", None)


def _after_commit(session: Session) -> None:
    _after_end(session, None)


def install_audit_hook(session_class: type[Session] = Session, *,
                       key: str | bytes | None = None) -> None:
    """Audit every session of ``session_class``; ``key``: the default GROWAPP_AUDIT_KEY."""
    if key is not None:
        use_key(key)
    for name, fn in (("before_flush", _before_flush), ("after_flush", _after_flush),
                     ("do_orm_execute", _before_orm_execute),
                     ("after_soft_rollback", _after_end), ("after_commit", _after_commit)):
        if not event.contains(session_class, name, fn):
            event.listen(session_class, name, fn)


# Verification -----------------------------------------------------------------------------

@dataclass
class ChainHead:
    """The newest row of the chain: what a checkpoint signs."""

    id: int
    hash: str
    count: int


@dataclass
class ChainReport:
    ok: bool
    checked: int
    bad_id: int | None = None
    problem: str = ""
    head: ChainHead | None = None
    versions: dict | None = None
    keys: dict | None = None  # key id → version 2 rows it verified, oldest key first


def chain_head(session: Session) -> ChainHead | None:
    row = session.execute(select(AuditLog.id, AuditLog.hash).order_by(AuditLog.id.desc())
                          .limit(1)).first()
    if row is None:
        return None
    count = session.scalar(select(func.count(AuditLog.id)))
    return ChainHead(id=row.id, hash=row.hash, count=count)


def _key_for(prev: str, row: dict, stored: str, keys: list[bytes], at: int) -> int | None:
    """The index of the first key from ``at`` on that gives the stored hash, or None."""
    for i in range(at, len(keys)):
        if hmac.compare_digest(_row_hash_v2(prev, row, keys[i]), stored):
            return i
    return None


def walk_chain(session: Session, *, key: str | bytes | None = None, previous=(),
               batch: int = 5000) -> ChainReport:
    """Recompute every link, oldest first. Stops at the first bad row. ``previous``: the
    keys used before ``key`` (oldest first), for a chain that lived through rotations."""
    prev = GENESIS
    checked = 0
    last_id = 0
    versions: dict[int, int] = {}
    seen_v2 = False
    keys: list[bytes] | None = None
    at = 0  # the oldest key a version 2 row may still use
    used: dict[str, int] = {}
    while True:
        rows = session.execute(
            select(AuditLog).where(AuditLog.id > last_id).order_by(AuditLog.id).limit(batch)
        ).scalars().all()
        if not rows:
            head = ChainHead(id=last_id, hash=prev, count=checked) if checked else None
            return ChainReport(True, checked, head=head, versions=versions, keys=used)
        for r in rows:
            version = r.hash_version
            if version == 2 and keys is None:
                keys = chain_keys(session, key, previous)
            row = {k: getattr(r, k) for k in FIELDS}
            problem = ""
            if version not in (1, 2):
                problem = f"row {r.id} has an unknown hash version {version}"
            elif version == 1 and seen_v2:
                problem = (f"row {r.id} uses the unkeyed version 1 hash after keyed rows: "
                           "rewritten")
            elif r.prev_hash != prev:
                problem = f"row {r.id} does not follow row {last_id or 'genesis'}"
            elif version == 1:
                if not hmac.compare_digest(_row_hash_v1(prev, row), r.hash):
                    problem = (f"row {r.id} does not match its hash: changed after it was "
                               "written")
            elif (found := _key_for(prev, row, r.hash, keys, at)) is None:
                older = _key_for(prev, row, r.hash, keys[:at], 0) is not None
                problem = (f"row {r.id} uses an audit key retired before it: rewritten"
                           if older else
                           f"row {r.id} does not match its hash: changed after it was written"
                           " (or written with a key not given in GROWAPP_AUDIT_KEY_PREVIOUS)")
            else:
                at = found
                kid = key_id(keys[found])
                used[kid] = used.get(kid, 0) + 1
            if problem:
                return ChainReport(False, checked, r.id, problem, versions=versions, keys=used)
            seen_v2 = seen_v2 or version == 2
            versions[version] = versions.get(version, 0) + 1
            prev = r.hash
            checked += 1
            last_id = r.id
        session.expunge_all()


def verify_chain(session: Session, batch: int = 5000, *, key: str | bytes | None = None,
                 previous=()) -> tuple[bool, int, int | None]:
    """Walk the chain. Returns (ok, rows checked, id of the first bad row or None)."""
    report = walk_chain(session, key=key, previous=previous, batch=batch)
    return report.ok, report.checked, report.bad_id
