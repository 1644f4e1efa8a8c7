"""Signed checkpoints of the audit chain's head, kept outside the database.

The hash chain shows that no row was changed in place; it cannot show that the newest rows
(or all rows) were deleted, and whoever holds the key could re-hash a rewritten table. A
checkpoint signs (head id, head hash, row count, time) with GROWAPP_AUDIT_KEY. It is
appended to a file in the app's instance folder and printed for the admin to keep
elsewhere; ``audit verify`` then reports a cut tail, an emptied table or a rewrite that
passes the chain walk but no longer reaches the signed head.

Format 2 also signs the key's id (``kid``), so a checkpoint signed before a key rotation
is checked with the key it was signed with (from GROWAPP_AUDIT_KEY_PREVIOUS); format 1
lines, which carry no key id, are checked with each key.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import AuditLog, utcnow
from .audit import GENESIS, chain_head, chain_keys, key_id, resolve_key, walk_chain
from .errors import Conflict, Invalid

FORMAT = 2
FIELDS = ("format", "at", "head_id", "head_hash", "count")
SIGNED = {1: FIELDS, 2: (*FIELDS, "kid")}


def _message(cp: dict) -> bytes:
    fields = SIGNED.get(cp.get("format"), FIELDS)
    return ("growapp-audit-checkpoint\n" + "\n".join(str(cp[k]) for k in fields)).encode()


def sign(cp: dict, key: bytes) -> str:
    return hmac.new(key, _message(cp), hashlib.sha256).hexdigest()


def make_checkpoint(session: Session, *, key: str | bytes | None = None, previous=(),
                    now: datetime | None = None) -> dict:
    """Walk the chain, then sign its head with the current key. Raises Conflict when the
    chain is broken: a checkpoint must never vouch for a tampered log."""
    secret = resolve_key(session, key)
    report = walk_chain(session, key=secret, previous=previous)
    if not report.ok:
        raise Conflict(f"The audit chain is broken ({report.problem}); no checkpoint written.",
                       {"bad_id": report.bad_id})
    head = chain_head(session)
    cp = {"format": FORMAT, "at": (now or utcnow()).isoformat(timespec="seconds"),
          "head_id": head.id if head else 0, "head_hash": head.hash if head else GENESIS,
          "count": head.count if head else 0, "kid": key_id(secret)}
    cp["sig"] = sign(cp, secret)
    return cp


def dumps(cp: dict) -> str:
    return json.dumps(cp, sort_keys=True, separators=(",", ":"))


def parse(text: str) -> dict:
    """A checkpoint line as printed by ``flask audit checkpoint``. Raises Invalid."""
    try:
        cp = json.loads(text)
        if not isinstance(cp, dict) or cp.get("format") not in SIGNED \
                or any(k not in cp for k in (*SIGNED[cp["format"]], "sig")):
            raise ValueError("missing fields")
        cp["head_id"], cp["count"] = int(cp["head_id"]), int(cp["count"])
    except (ValueError, TypeError) as exc:
        raise Invalid("That is not an audit checkpoint.", {"checkpoint": [str(exc)]}) from exc
    return cp


def append(path: Path, cp: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as fh:
        fh.write(dumps(cp) + "\n")
    path.chmod(0o600)


def load(path: Path) -> list[dict]:
    """Every checkpoint in the file, oldest first (unreadable lines are reported as such)."""
    if not path.exists():
        return []
    found = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            try:
                found.append(parse(line))
            except Invalid:
                found.append({"unreadable": n})
    return found


def check(session: Session, cp: dict, *, key: str | bytes | None = None,
          previous=()) -> str:
    """'' when the table still reaches this checkpoint's head, else one sentence."""
    if "unreadable" in cp:
        return f"Checkpoint line {cp['unreadable']} is unreadable."
    keys = chain_keys(session, key, previous)
    if cp.get("kid") is not None:
        keys = [k for k in keys if key_id(k) == cp["kid"]]
    if not any(hmac.compare_digest(sign(cp, k), str(cp.get("sig", ""))) for k in keys):
        return (f"The checkpoint of {cp['at']} has a bad signature (edited, or signed with "
                "a key that is neither GROWAPP_AUDIT_KEY nor in "
                "GROWAPP_AUDIT_KEY_PREVIOUS).")
    when = f"the checkpoint of {cp['at']}"
    if cp["count"] == 0:
        return ""
    head = chain_head(session)
    if head is None:
        return (f"The audit log is empty, but {when} recorded {cp['count']} rows up to row "
                f"{cp['head_id']}: the table was emptied.")
    row_hash = session.scalar(select(AuditLog.hash).where(AuditLog.id == cp["head_id"]))
    if row_hash is None:
        if head.id < cp["head_id"]:
            return (f"The audit log ends at row {head.id}, but {when} recorded rows up to "
                    f"{cp['head_id']}: the tail was cut.")
        return f"Row {cp['head_id']}, the head signed by {when}, is missing."
    if not hmac.compare_digest(row_hash, cp["head_hash"]):
        return (f"Row {cp['head_id']} no longer has the hash {when} signed: the chain was "
                "rewritten and re-hashed.")
    count = session.scalar(select(func.count(AuditLog.id)).where(
        AuditLog.id <= cp["head_id"]))
    if count != cp["count"]:
        return (f"{when.capitalize()} counted {cp['count']} rows up to row {cp['head_id']}; "
                f"the table now holds {count}.")
    return ""
