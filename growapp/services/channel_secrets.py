"""Webhook signing secrets sealed at rest.

The database holds ``v1:<base64url(nonce ‖ AES-256-GCM ciphertext ‖ tag)>``; the AES key
is derived (HKDF-SHA256, its own ``info``) from the installation's GROWAPP_AUDIT_KEY, which
is kept out of the database and its backups — so a copy of the database alone does not
let anyone sign webhooks as growapp. After an audit key rotation the earlier keys
(GROWAPP_AUDIT_KEY_PREVIOUS) still open what they sealed. A value without the ``v1:``
prefix is a secret stored before sealing (migration 0010): it is read as it is, and
``seal_plaintext`` seals those rows (the worker's periodic task calls it)."""

from __future__ import annotations

import base64
import os
from collections.abc import Iterable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..models import AlertChannel
from .audit import resolve_key

PREFIX = "v1:"
INFO = b"growapp alert channel secrets v1"
AAD = b"alert_channels.secret"


class SecretUnreadable(RuntimeError):
    """A sealed secret that none of the configured keys opens."""


def _aead(key: str | bytes) -> AESGCM:
    raw = key.encode() if isinstance(key, str) else key
    return AESGCM(HKDF(algorithm=SHA256(), length=32, salt=None, info=INFO).derive(raw))


def is_sealed(stored: str) -> bool:
    return stored.startswith(PREFIX)


def seal(secret: str, key: str | bytes) -> str:
    nonce = os.urandom(12)
    box = _aead(key).encrypt(nonce, secret.encode(), AAD)
    return PREFIX + base64.urlsafe_b64encode(nonce + box).decode().rstrip("=")


def unseal(stored: str, keys: Iterable[str | bytes]) -> str:
    """The secret (a value stored before sealing comes back as it is). Raises
    SecretUnreadable."""
    if not is_sealed(stored):
        return stored
    body = stored[len(PREFIX):]
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except ValueError as exc:
        raise SecretUnreadable("The stored secret is damaged.") from exc
    for key in keys:
        try:
            return _aead(key).decrypt(raw[:12], raw[12:], AAD).decode()
        except (InvalidTag, ValueError):
            continue
    raise SecretUnreadable("No configured key opens this webhook's secret (was "
                           "GROWAPP_AUDIT_KEY changed without GROWAPP_AUDIT_KEY_PREVIOUS?).")


def session_keys(session: Session) -> list[bytes]:
    """The key to seal with first, then the earlier ones (open only)."""
    current = resolve_key(session)
    previous = [k.encode() if isinstance(k, str) else k
                for k in reversed(session.info.get("audit_key_previous") or ()) if k]
    return [current] + [k for k in previous if k != current]


def seal_for(session: Session, secret: str) -> str:
    return seal(secret, session_keys(session)[0])


def unseal_for(session: Session, stored: str) -> str:
    return unseal(stored, session_keys(session))


def seal_plaintext(session: Session) -> int:
    """Seal the webhook secrets still stored as written before 0010 (Core UPDATEs: the
    audit log's copy of the column is masked anyway). Returns how many."""
    rows = session.execute(select(AlertChannel.id, AlertChannel.secret).where(
        AlertChannel.kind == "webhook", AlertChannel.secret != "",
        AlertChannel.secret.not_like(PREFIX + "%"))).all()
    for channel_id, secret in rows:
        session.execute(update(AlertChannel).where(
            AlertChannel.id == channel_id, AlertChannel.secret == secret)
            .values(secret=seal_for(session, secret)))
    return len(rows)
