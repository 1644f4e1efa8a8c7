"""Accounts: users, passwords, invites, roles, API tokens (sign-in is services/signin.py)."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from werkzeug.security import check_password_hash, generate_password_hash

from ..models import ROLES, ApiToken, Invite, User, utcnow
from .errors import Conflict, Forbidden, Gone, Invalid, NotFound
from .events import record_event
from .sessions import end_user_sessions
from .tokens import hash_token

__all__ = ["hash_token"]  # re-exported: callers hash invite and API tokens through here

MIN_PASSWORD = 10


def hash_password(password: str) -> str:
    return generate_password_hash(password, method="scrypt")


def normalise_email(email: str) -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise Invalid("Please enter a valid email address.", {"email": [str(exc)]}) from exc


def check_password_rules(password: str, confirm: str | None = None) -> None:
    errors = []
    if len(password) < MIN_PASSWORD:
        errors.append(f"Use at least {MIN_PASSWORD} characters.")
    if len(password) > 200:
        errors.append("Use at most 200 characters.")
    if errors:
        raise Invalid("Please choose a stronger password.", {"password": errors})
    if confirm is not None and confirm != password:
        raise Invalid("The passwords do not match.", {"confirm": ["Does not match the password."]})


def get_user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == email.strip().lower()))


def create_user(session: Session, *, email: str, password: str, role: str,
                display_name: str = "") -> User:
    email = normalise_email(email)
    if role not in ROLES:
        raise Invalid(errors={"role": [f"Choose one of {', '.join(ROLES)}."]})
    check_password_rules(password)
    if get_user_by_email(session, email):
        raise Conflict(f"A user with email {email} already exists.", {"email": email})
    user = User(email=email, display_name=display_name.strip() or email.split("@")[0],
                password_hash=hash_password(password), role=role)
    session.add(user)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        raise Conflict(f"A user with email {email} already exists.", {"email": email}) from exc
    return user


def change_password(session: Session, *, user: User, current: str, new: str,
                    confirm: str, keep_session_id: int | None = None) -> int:
    """Set a new password and end every other sign-in of the user (their remember
    cookies too); ``keep_session_id`` is the sign-in that asked. Returns how many ended.
    Raises Invalid."""
    if not check_password_hash(user.password_hash, current or ""):
        raise Invalid("Your current password is not right.",
                      {"current_password": ["Not your current password."]})
    check_password_rules(new, confirm)
    user.password_hash = hash_password(new)
    session.info["reason"] = "password changed"
    ended = end_user_sessions(session, user_id=user.id, keep_id=keep_session_id,
                              reason="password changed")
    record_event(session, kind="user.password_changed", summary=f"{user.email} changed "
                 f"their password ({ended} other sign-ins ended)", actor=user)
    session.flush()
    return ended


# Invites ---------------------------------------------------------------------------------

def create_invite(session: Session, *, email: str, role: str, actor: User,
                  days: int = 7) -> tuple[Invite, str]:
    """Returns the invite and its one-time token (only its hash is stored)."""
    if not actor.has_role("admin"):
        raise Forbidden("Only an admin can invite people.")
    email = normalise_email(email)
    if role not in ROLES:
        raise Invalid(errors={"role": [f"Choose one of {', '.join(ROLES)}."]})
    if get_user_by_email(session, email):
        raise Invalid("That person already has an account.",
                      {"email": [f"A user with email {email} already exists."]})
    token = secrets.token_urlsafe(32)
    invite = Invite(email=email, role=role, token_hash=hash_token(token),
                    expires_at=utcnow() + timedelta(days=days), invited_by_id=actor.id)
    session.add(invite)
    session.flush()
    record_event(session, kind="user.invited", summary=f"Invited {email} as {role}",
                 actor=actor, payload={"invite_id": invite.id, "role": role})
    return invite, token


def find_invite(session: Session, token: str) -> Invite:
    """The pending invite for this token. Raises NotFound, Gone (used, revoked, expired)."""
    invite = session.scalar(select(Invite).where(Invite.token_hash == hash_token(token or "")))
    if invite is None:
        raise NotFound("This invite link is not valid. Ask your admin for a new one.")
    state = invite.state
    if state == "accepted":
        raise Gone("This invite has already been used. Sign in instead.")
    if state == "revoked":
        raise Gone("This invite was withdrawn. Ask your admin for a new one.")
    if state == "expired":
        raise Gone("This invite has expired. Ask your admin for a new one.")
    return invite


def accept_invite(session: Session, *, token: str, display_name: str, password: str,
                  confirm: str) -> User:
    invite = find_invite(session, token)
    check_password_rules(password, confirm)
    if not display_name.strip():
        raise Invalid(errors={"display_name": ["Tell us what to call you."]})
    user = create_user(session, email=invite.email, password=password, role=invite.role,
                       display_name=display_name)
    invite.accepted_at = utcnow()
    invite.user_id = user.id
    record_event(session, kind="user.joined", summary=f"{user.email} joined as {user.role}",
                 actor=user)
    return user


def revoke_invite(session: Session, *, invite_id: int, actor: User) -> Invite:
    invite = session.get(Invite, invite_id)
    if invite is None:
        raise NotFound("No such invite.")
    if invite.state != "pending":
        raise Conflict(f"This invite is already {invite.state}.")
    invite.revoked_at = utcnow()
    return invite


def set_user_role(session: Session, *, user_id: int, role: str | None, active: bool | None,
                  actor: User) -> User:
    if not actor.has_role("admin"):
        raise Forbidden("Only an admin can change roles.")
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("No such user.")
    if role is not None and role not in ROLES:
        raise Invalid(errors={"role": [f"Choose one of {', '.join(ROLES)}."]})
    demoting_self = user.id == actor.id and (role not in (None, "admin") or active is False)
    if demoting_self:
        raise Conflict("You cannot remove your own admin access; ask another admin.")
    changed = (role is not None and role != user.role) or \
        (active is not None and active != user.is_active)
    if role is not None:
        user.role = role
    if active is not None:
        user.is_active = active
    if changed:  # their open sessions were granted under the old role: sign in again
        end_user_sessions(session, user_id=user.id, reason="role changed" if user.is_active
                          else "deactivated")
    return user


# API tokens ------------------------------------------------------------------------------

def create_api_token(session: Session, *, user: User, name: str) -> tuple[ApiToken, str]:
    name = (name or "").strip()
    if not name or len(name) > 80:
        raise Invalid(errors={"name": ["Give the token a name of 1–80 characters."]})
    raw = "gra_" + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, token_hash=hash_token(raw), prefix=raw[:10])
    session.add(token)
    session.flush()
    return token, raw


def revoke_api_token(session: Session, *, token_id: int, user: User) -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None or (token.user_id != user.id and not user.has_role("admin")):
        raise NotFound("No such token.")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
    return token


def user_for_api_token(session: Session, raw: str, *, now: datetime | None = None,
                       touch: bool = True) -> User | None:
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(raw)))
    if token is None or token.revoked_at is not None:
        return None
    user = session.get(User, token.user_id)
    if user is None or not user.is_active:
        return None
    now = now or utcnow()
    # Touch last_used at most once a minute so reads do not become writes; a plain
    # UPDATE, so this bookkeeping adds no (userless) audit row.
    if touch and (token.last_used_at is None
                  or now - token.last_used_at > timedelta(minutes=1)):
        session.execute(update(ApiToken).where(ApiToken.id == token.id)
                        .values(last_used_at=now))
        set_committed_value(token, "last_used_at", now)
        session.info["touch_token"] = True
    return user
