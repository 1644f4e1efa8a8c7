"""Sign-in: credentials, the sign-in limits, and the sign-in's session and records.

The limits, all over a sliding window (default 15 minutes):

- per (email, IP): ``max_failures`` wrong passwords, then that pair is refused until the
  window passes. Exact under concurrency: every attempt for an email first locks that
  email's ``login_throttles`` row (an upsert, held to the commit), so attempts for one
  account count and check one at a time (on SQLite the write transaction does the same).
- per account, over all IPs: beyond ``max_failures`` failures each further try waits a
  growing delay (1 s, 2 s, 4 s … at most ``max_delay_seconds``) after the last failure. It
  slows a guesser spread over many addresses but never locks the account, and a browser
  that signed in to this account before (``known_device``) skips it.
- per IP: after ``max_per_ip`` failures from one IP, only accounts with no recent failure
  from it may still try, so a spray of random emails cannot lock anyone out.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from werkzeug.security import check_password_hash, generate_password_hash

from ..models import LoginFailure, LoginThrottle, User, UserSession, utcnow
from .errors import Invalid, RateLimited
from .events import record_event
from .sessions import describe_device, start_session

# A hash to compare against when the email is unknown, so timing does not reveal accounts.
_DUMMY_HASH = generate_password_hash("not-a-real-password", method="scrypt")


def _lock_account(session: Session, email: str, now: datetime) -> None:
    """Take this email's sign-in lock until the transaction ends (upsert = row lock)."""
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    table = LoginThrottle.__table__
    stmt = insert(table).values(email=email, attempted_at=now)
    session.execute(stmt.on_conflict_do_update(index_elements=[table.c.email],
                                               set_={"attempted_at": now}))


def _failures(session: Session, *conditions) -> tuple[int, datetime | None, datetime | None]:
    count, first, last = session.execute(select(
        func.count(LoginFailure.id), func.min(LoginFailure.at), func.max(LoginFailure.at))
        .where(*conditions)).one()
    return count or 0, first, last


def _refuse(message: str, seconds: float) -> RateLimited:
    seconds = max(1, math.ceil(seconds))
    wait = f"{seconds} seconds" if seconds < 120 else f"{math.ceil(seconds / 60)} minutes"
    return RateLimited(f"{message} Try again in {wait}.", retry_after=seconds)


def account_delay(failures: int, *, free: int, max_delay_seconds: int) -> float:
    """Seconds to wait after an account's last failure: 0 up to ``free`` failures, then
    1, 2, 4 … capped at ``max_delay_seconds``."""
    if failures <= free:
        return 0.0
    return float(min(max_delay_seconds, 2 ** min(failures - free - 1, 30)))


def authenticate(session: Session, *, email: str, password: str, ip: str,
                 max_failures: int = 5, max_per_ip: int = 50, window_minutes: int = 15,
                 max_delay_seconds: int = 60, known_device_user_id: int | None = None,
                 now: datetime | None = None) -> User:
    """Check credentials under the limits above. Raises RateLimited (429, with
    ``retry_after`` seconds in ``extra``) or Invalid (422).

    A failure is recorded in the session; the caller commits it even when this raises.
    """
    now = now or utcnow()
    email = (email or "").strip().lower()[:254]
    ip = (ip or "")[:64]
    window = timedelta(minutes=window_minutes)
    since = now - window
    _lock_account(session, email, now)
    user = session.scalar(select(User).where(User.email == email)) if email else None

    pair, first, _last = _failures(session, LoginFailure.email == email, LoginFailure.ip == ip,
                                   LoginFailure.at >= since)
    if pair >= max_failures:
        raise _refuse("Too many failed sign-ins.", (first + window - now).total_seconds())
    if pair:
        per_ip, first_ip, _ = _failures(session, LoginFailure.ip == ip, LoginFailure.at >= since)
        if per_ip >= max_per_ip:
            raise _refuse("Too many failed sign-ins from your network.",
                          (first_ip + window - now).total_seconds())
    known_device = user is not None and known_device_user_id == user.id
    if not known_device:
        total, _first, last = _failures(session, LoginFailure.email == email,
                                        LoginFailure.at >= since)
        delay = account_delay(total, free=max_failures, max_delay_seconds=max_delay_seconds)
        if delay and last + timedelta(seconds=delay) > now:
            raise _refuse("Too many failed sign-ins for this account.",
                          (last + timedelta(seconds=delay) - now).total_seconds())

    ok = check_password_hash(user.password_hash if user else _DUMMY_HASH, password or "")
    if not user or not ok or not user.is_active:
        session.info["reason"] = "failed sign-in"
        session.add(LoginFailure(email=email, ip=ip, at=now))
        record_event(session, kind="user.sign_in_failed", summary=f"Failed sign-in for {email}",
                     actor=None, payload={"email": email, "ip": ip,
                                          "user_id": user.id if user else None})
        session.flush()
        raise Invalid("Wrong email or password.", {"password": ["Wrong email or password."]})
    session.execute(delete(LoginFailure).where(LoginFailure.email == email,
                                               LoginFailure.ip == ip))
    # the sign-in itself is the audited record (user_sessions insert), not this column
    session.execute(update(User).where(User.id == user.id).values(last_login_at=now))
    set_committed_value(user, "last_login_at", now)
    return user


def sign_in(session: Session, *, email: str, password: str, ip: str, user_agent: str,
            remember: bool, remember_days: int = 30, now: datetime | None = None,
            **limits) -> tuple[User, UserSession]:
    """Authenticate, then start a session for the user (``user.session_token`` holds its
    token). The session now acts for the user, so the audit row of the sign-in names
    them. Raises what ``authenticate`` raises."""
    now = now or utcnow()
    user = authenticate(session, email=email, password=password, ip=ip, now=now, **limits)
    session.info["actor_id"] = user.id
    session.info["reason"] = "sign-in"
    row, _raw = start_session(session, user=user, user_agent=user_agent, ip=ip,
                              remember=remember, remember_for=timedelta(days=remember_days),
                              now=now)
    record_event(session, kind="user.signed_in",
                 summary=f"{user.email} signed in ({describe_device(user_agent)})", actor=user,
                 payload={"session_id": row.id, "ip": ip, "remember": remember})
    return user, row


def prune_sign_in_records(session: Session, *, window_minutes: int = 15,
                          now: datetime | None = None) -> int:
    """Delete what no limit reads any more: failures older than the window, and throttle
    rows (one per email ever tried) not touched within it. Plain DELETEs: bookkeeping, no
    audit rows (each failure's insert stays in the audit log). Returns rows deleted."""
    now = now or utcnow()
    since = now - timedelta(minutes=window_minutes)
    failures = session.execute(delete(LoginFailure).where(LoginFailure.at < since)).rowcount
    throttles = session.execute(delete(LoginThrottle).where(
        LoginThrottle.attempted_at < since)).rowcount
    return (failures or 0) + (throttles or 0)
