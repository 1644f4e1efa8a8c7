"""One-time and bearer secrets: only their SHA-256 is ever stored; and revoking a user's
API tokens when their account may be in someone else's hands."""

from __future__ import annotations

import hashlib

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import ApiToken, utcnow


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def revoke_user_tokens(session: Session, *, user_id: int, reason: str) -> int:
    """Revoke every live API token of a user (a password reset, "sign out everywhere"):
    a token is a bearer secret that outlives any password, so whoever may have taken the
    account could keep a token they made. Audited row by row. Returns how many."""
    tokens = session.scalars(select(ApiToken).where(
        ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))).all()
    now = utcnow()
    if tokens:
        session.info["reason"] = reason  # the audit rows say why (read after the flush above)
    for token in tokens:
        token.revoked_at = now
    return len(tokens)
