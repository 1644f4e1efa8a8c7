"""Sign-in sessions: one row per signed-in browser, ended for real on sign-out.

The browser holds a random token (in the signed Flask session and, when remembered, in
the remember cookie); the database holds its SHA-256. A token signs in only while its
row is neither revoked nor expired: a plain sign-in expires after ``idle`` without use, a
remembered one ``remember_for`` after it began. Sign-out, a password change, a password
reset and an admin's role change or deactivation revoke rows.

Bookkeeping writes (last seen) are plain UPDATE statements, so they add no audit rows; a
sign-in (insert) and a sign-out (revoked_at) are audited with the user.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session, contains_eager
from sqlalchemy.orm.attributes import set_committed_value

from ..models import User, UserSession, utcnow
from .errors import NotFound
from .events import record_event
from .tokens import hash_token

IDLE = timedelta(hours=12)
REMEMBER_FOR = timedelta(days=30)
TOUCH_EVERY = timedelta(minutes=1)


def start_session(session: Session, *, user: User, user_agent: str, ip: str,
                  remember: bool, remember_for: timedelta = REMEMBER_FOR,
                  idle: timedelta = IDLE, now: datetime | None = None) -> tuple[UserSession, str]:
    """A new sign-in for ``user``. Returns the row and its token (only the hash is kept);
    ``user.session_token`` is set so Flask-Login stores the token."""
    now = now or utcnow()
    raw = secrets.token_urlsafe(32)
    row = UserSession(user_id=user.id, token_hash=hash_token(raw), remember=remember,
                      user_agent=(user_agent or "")[:255], ip=(ip or "")[:64], created_at=now,
                      last_seen_at=now, expires_at=now + (remember_for if remember else idle))
    session.add(row)
    session.flush()
    user.session_token = raw
    return row, raw


@cache
def _session_statement():
    """Built once (every request runs it; composing it cost more than running it)."""
    return (select(UserSession).join(UserSession.user)
            .options(contains_eager(UserSession.user))
            .where(UserSession.token_hash == bindparam("token_hash")))


def session_for_token(session: Session, raw: str, *, idle: timedelta = IDLE,
                      now: datetime | None = None, touch: bool = True) -> UserSession | None:
    """The live sign-in for this token (its user active), or None. Touches last seen (and
    a plain sign-in's expiry) at most once a minute with a plain UPDATE (unless ``touch``
    is false); the caller commits when ``session.info["touch_session"]`` is set."""
    if not raw:
        return None
    now = now or utcnow()
    # One statement: the sign-in and its user (held by the row, so the loader needs no get).
    row = session.scalar(_session_statement(), {"token_hash": hash_token(raw)})
    if row is None:
        return None
    user = row.user
    if row.revoked_at is not None or row.expires_at <= now or not user.is_active:
        return None
    if touch and now - row.last_seen_at > TOUCH_EVERY:
        values = {"last_seen_at": now}
        if not row.remember:
            values["expires_at"] = now + idle
        session.execute(update(UserSession).where(UserSession.id == row.id).values(**values))
        for key, value in values.items():
            set_committed_value(row, key, value)
        session.info["touch_session"] = True
    user.session_token = raw
    return row


def end_session(session: Session, *, user_session: UserSession, actor: User,
                reason: str = "signed out") -> UserSession:
    """End one sign-in (yours, or as an admin anyone's). Raises NotFound."""
    if user_session.user_id != actor.id and not actor.has_role("admin"):
        raise NotFound("No such signed-in device.")
    if user_session.revoked_at is None:
        user_session.revoked_at = utcnow()
        user_session.revoked_reason = reason[:40]
    return user_session


def sign_out(session: Session, *, user_session: UserSession | None, user: User) -> None:
    """Sign-out of this browser: its row is revoked and the sign-out is recorded."""
    session.info["reason"] = "sign-out"
    if user_session is not None:
        end_session(session, user_session=user_session, actor=user)
    record_event(session, kind="user.signed_out", summary=f"{user.email} signed out",
                 actor=user, payload={"session_id": user_session.id if user_session else None})
    session.flush()


def end_device(session: Session, *, session_id: int, actor: User) -> UserSession:
    """Sign out one of your devices. Raises NotFound."""
    row = session.get(UserSession, session_id)
    if row is None or row.user_id != actor.id:
        raise NotFound("No such signed-in device.")
    session.info["reason"] = "device signed out"
    return end_session(session, user_session=row, actor=actor)


def end_user_sessions(session: Session, *, user_id: int, reason: str,
                      keep_id: int | None = None) -> int:
    """End every live sign-in of a user except ``keep_id``. Returns how many ended."""
    rows = session.scalars(select(UserSession).where(
        UserSession.user_id == user_id, UserSession.revoked_at.is_(None))).all()
    now = utcnow()
    ended = 0
    for row in rows:
        if row.id != keep_id:
            row.revoked_at = now
            row.revoked_reason = reason[:40]
            ended += 1
    return ended


def active_sessions(session: Session, *, user: User,
                    now: datetime | None = None) -> list[UserSession]:
    now = now or utcnow()
    return list(session.scalars(select(UserSession).where(
        UserSession.user_id == user.id, UserSession.revoked_at.is_(None),
        UserSession.expires_at > now).order_by(UserSession.last_seen_at.desc())))


_BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("SamsungBrowser/", "Samsung Internet"),
             ("Firefox/", "Firefox"), ("FxiOS/", "Firefox"), ("CriOS/", "Chrome"),
             ("Chromium/", "Chromium"), ("Chrome/", "Chrome"), ("Safari/", "Safari"),
             ("curl/", "curl"), ("python-requests/", "Python"))
_SYSTEMS = (("iPad", "iPadOS"), ("iPhone", "iOS"), ("Android", "Android"),
            ("CrOS", "ChromeOS"), ("Windows", "Windows"), ("Mac OS X", "macOS"),
            ("Macintosh", "macOS"), ("Linux", "Linux"))


def describe_device(user_agent: str) -> str:
    """'Firefox on Android' from a User-Agent header; 'Unknown browser' when unsure."""
    ua = user_agent or ""
    browser = next((name for mark, name in _BROWSERS if mark in ua), None)
    system = next((name for mark, name in _SYSTEMS if re.search(re.escape(mark), ua)), None)
    if browser and system:
        return f"{browser} on {system}"
    return browser or (f"Browser on {system}" if system else "Unknown browser")
