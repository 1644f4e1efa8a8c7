"""Password recovery: "forgot password" links by email, and an admin's reset.

A link carries a random token; only its hash is stored. It works once, until it expires
(1 hour self-service, 24 hours when an admin issued it), and using it ends every sign-in
of the account and revokes its API tokens. Requests are rate-limited per address and per
IP, and answer the same
whether or not the address has an account (rows for unknown addresses hold no token and
only count towards the limit).
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ..models import PasswordReset, User, utcnow
from .errors import Conflict, Forbidden, Gone, NotFound, RateLimited
from .events import record_event
from .sessions import end_user_sessions
from .tokens import hash_token, revoke_user_tokens
from .users import check_password_rules, hash_password

SELF_SERVICE_HOURS = 1
ADMIN_ISSUED_HOURS = 24


def _count(session: Session, *conditions) -> int:
    return session.scalar(select(func.count(PasswordReset.id)).where(*conditions)) or 0


def _retire_links(session: Session, user_id: int, now: datetime) -> None:
    for old in session.scalars(select(PasswordReset).where(
            PasswordReset.user_id == user_id, PasswordReset.used_at.is_(None),
            PasswordReset.token_hash.is_not(None), PasswordReset.expires_at > now)):
        old.used_at = now


def request_password_reset(session: Session, *, email: str, ip: str,
                           hours: int = SELF_SERVICE_HOURS, max_per_email: int = 3,
                           max_per_ip: int = 10,
                           now: datetime | None = None) -> tuple[User, str] | None:
    """A reset link for an active account with this address: (user, token) to email, or
    None when there is none; callers answer the same either way. Raises RateLimited
    (the same for known and unknown addresses)."""
    now = now or utcnow()
    email = (email or "").strip().lower()[:254]
    ip = (ip or "")[:64]
    since = now - timedelta(hours=1)
    if (_count(session, PasswordReset.email == email, PasswordReset.created_at >= since)
            >= max_per_email
            or _count(session, PasswordReset.ip == ip, PasswordReset.created_at >= since)
            >= max_per_ip):
        raise RateLimited("Too many password-reset requests. Try again in an hour.",
                          retry_after=3600)
    session.info["reason"] = "password reset requested"
    user = session.scalar(select(User).where(User.email == email)) if email else None
    if user is None or not user.is_active:
        session.add(PasswordReset(email=email, ip=ip, created_at=now, expires_at=now))
        session.flush()
        return None
    raw = secrets.token_urlsafe(32)
    session.add(PasswordReset(user_id=user.id, email=email, ip=ip, token_hash=hash_token(raw),
                              created_at=now, expires_at=now + timedelta(hours=hours)))
    record_event(session, kind="user.reset_requested", summary=f"Password reset link "
                 f"requested for {email}", actor=None, payload={"user_id": user.id, "ip": ip})
    session.flush()
    return user, raw


def find_reset(session: Session, token: str, *, now: datetime | None = None) -> PasswordReset:
    """The usable reset for this link. Raises NotFound, Gone (used or expired)."""
    now = now or utcnow()
    reset = session.scalar(select(PasswordReset).where(
        PasswordReset.token_hash == hash_token(token or "")))
    if reset is None or reset.user_id is None:
        raise NotFound("This password-reset link is not valid. Ask for a new one.")
    if reset.used_at is not None:
        raise Gone("This password-reset link has already been used. Ask for a new one.")
    if reset.expires_at <= now:
        raise Gone("This password-reset link has expired. Ask for a new one.")
    return reset


def reset_password(session: Session, *, token: str, password: str, confirm: str,
                   now: datetime | None = None) -> User:
    """Set the password through a reset link, which then stops working, end every
    sign-in of the account and revoke its API tokens. Raises NotFound, Gone, Invalid."""
    now = now or utcnow()
    reset = find_reset(session, token, now=now)
    check_password_rules(password, confirm)
    user = session.get(User, reset.user_id)
    if user is None or not user.is_active:
        raise Gone("This account is deactivated. Ask your admin.")
    session.info["actor_id"] = user.id  # whoever holds the link acts as the account
    session.info["reason"] = "password reset"
    user.password_hash = hash_password(password)
    _retire_links(session, user.id, now)
    end_user_sessions(session, user_id=user.id, reason="password reset")
    revoke_user_tokens(session, user_id=user.id, reason="password reset")
    record_event(session, kind="user.password_reset", summary=f"{user.email} set a new "
                 "password through a reset link", actor=user)
    session.flush()
    return user


def admin_reset_password(session: Session, *, user_id: int, actor: User,
                         hours: int = ADMIN_ISSUED_HOURS,
                         now: datetime | None = None) -> tuple[User, str]:
    """An admin resets someone's password: the old one stops working, every sign-in of
    theirs ends, their API tokens are revoked, and a one-time link to choose a new one is
    returned (user, token).
    Raises Forbidden, NotFound, Conflict."""
    now = now or utcnow()
    if not actor.has_role("admin"):
        raise Forbidden("Only an admin can reset passwords.")
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("No such user.")
    if user.id == actor.id:
        raise Conflict("Change your own password on your profile page.")
    if not user.is_active:
        raise Conflict(f"{user.email} is deactivated; activate the account first.")
    session.info["reason"] = "password reset by admin"
    user.password_hash = hash_password(secrets.token_urlsafe(32))  # nobody knows this one
    _retire_links(session, user.id, now)
    end_user_sessions(session, user_id=user.id, reason="password reset by admin")
    revoke_user_tokens(session, user_id=user.id, reason="password reset by admin")
    raw = secrets.token_urlsafe(32)
    session.add(PasswordReset(user_id=user.id, email=user.email, token_hash=hash_token(raw),
                              created_at=now, expires_at=now + timedelta(hours=hours),
                              issued_by_id=actor.id))
    record_event(session, kind="user.password_reset_issued", summary=f"{actor.email} reset "
                 f"the password of {user.email}", actor=actor, payload={"user_id": user.id})
    session.flush()
    return user, raw


def prune_password_resets(session: Session, *, now: datetime | None = None) -> int:
    """Delete reset requests that can neither be used (expired) nor count towards the
    hourly limits any more. Rows of a link still usable stay. Returns rows deleted."""
    now = now or utcnow()
    return session.execute(delete(PasswordReset).where(
        PasswordReset.expires_at < now,
        PasswordReset.created_at < now - timedelta(hours=1))).rowcount or 0
