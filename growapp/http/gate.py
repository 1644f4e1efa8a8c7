"""Request pipeline: request id, sign-in gate, CSRF, roles, security headers."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

from flask import Flask, abort, current_app, g, jsonify, redirect, request, url_for
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy.exc import OperationalError

from ..extensions import csrf, db, login_manager, sqlite_write_intent
from ..models import User
from ..services.errors import Invalid
from ..services.sessions import session_for_token
from ..services.users import user_for_api_token
from .access import current_view_flag
from .inputs import BoundedIntegerConverter, request_body

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}", re.ASCII)
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
       "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
       "form-action 'self'; frame-ancestors 'none'")


def is_api_request() -> bool:
    return request.path.startswith("/api/")


@login_manager.user_loader
def _load_user(token: str) -> User | None:
    """Flask-Login's id is the sign-in's token (from the signed session or the remember
    cookie): it signs in only while its user_sessions row is live."""
    session = db.session
    idle = timedelta(hours=current_app.config.get("SESSION_IDLE_HOURS", 12))
    try:
        row = session_for_token(session, token, idle=idle)
        if row is not None and session.info.pop("touch_session", False):
            session.commit()  # last seen: bookkeeping before the request's own work
    except OperationalError:  # SQLite busy: skip the touch, never the request
        session.rollback()
        session.info.pop("touch_session", None)
        row = session_for_token(session, token, idle=idle, touch=False)
    if row is None:
        return None
    g.user_session = row
    return row.user


@login_manager.request_loader
def _load_user_from_token(req) -> User | None:
    header = req.headers.get("Authorization", "")
    if not header.lower().startswith("bearer "):
        return None
    session = db.session
    raw = header[7:].strip()
    try:
        user = user_for_api_token(session, raw)
        if user is not None and session.info.pop("touch_token", False):
            session.commit()  # a tiny bookkeeping write before the request's own work
    except OperationalError:
        # SQLite: a read that turns into a write fails at once (no busy wait) when another
        # writer committed since it began. Last used is bookkeeping: skip it this time.
        session.rollback()
        session.info.pop("touch_token", None)
        user = user_for_api_token(session, raw, touch=False)
    if user is not None:
        g.auth_via_token = True
    return user


def _refuse_nul() -> None:
    """PostgreSQL text cannot hold NUL characters: answer 422 instead of failing later."""
    bad = any("\x00" in v for v in request.args.values())
    if not bad and request.method in UNSAFE:
        if request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
            bad = any("\x00" in v for v in request.form.values())  # files may be binary
        else:
            data = request_body()
            bad = b"\x00" in data or b"\\u0000" in data
    if bad:
        raise Invalid("Text may not contain NUL characters.",
                      {"body": ["Remove the NUL (\\0) characters."]})


def request_id_from(header: str | None) -> str:
    """The client's X-Request-ID when it is a plain token (letters, digits, ``._:-``, at
    most 64), else a new one: what lands in audit rows and logs is never free text."""
    if header and REQUEST_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex[:16]


def _begin_request():
    g.request_id = request_id_from(request.headers.get("X-Request-ID"))
    if request.endpoint == "static":
        return None
    sqlite_write_intent.set(request.method in UNSAFE)
    info = db.session.info
    info["request_id"] = g.request_id
    info["ip"] = request.remote_addr or ""
    if request.endpoint is None:
        return None  # 404/405 handlers answer

    has_bearer = request.headers.get("Authorization", "").lower().startswith("bearer ")
    if not current_view_flag("growapp_public"):
        if not current_user.is_authenticated:
            if is_api_request():
                detail = "Invalid or revoked API token." if has_bearer else "Sign in required."
                resp = jsonify(detail=detail)
                resp.status_code = 401
                resp.headers["WWW-Authenticate"] = 'Bearer realm="growapp"'
                return resp
            if request.method in UNSAFE:  # the form is lost anyway; come back to the page
                return redirect(url_for("auth.login"), code=303)
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        info["actor_id"] = current_user.id

    if request.method in UNSAFE and not g.get("auth_via_token") \
            and current_app.config.get("WTF_CSRF_ENABLED", True):
        csrf.protect()

    if current_user.is_authenticated:
        if current_view_flag("growapp_admin") and not current_user.has_role("admin"):
            abort(403)
        if (request.method in UNSAFE and not current_user.has_role("operator")
                and not current_view_flag("growapp_viewer_write")
                and not current_view_flag("growapp_public")):
            abort(403)
    _refuse_nul()
    return None


def _headers(response):
    h = response.headers
    h.setdefault("Content-Security-Policy", CSP)
    h.setdefault("X-Content-Type-Options", "nosniff")
    h.setdefault("Referrer-Policy", "same-origin")
    h.setdefault("X-Frame-Options", "DENY")
    h.setdefault("Permissions-Policy", "camera=(self), geolocation=(), microphone=()")
    h["X-Request-ID"] = g.get("request_id", "")
    if response.mimetype == "text/html":
        response.vary.add("HX-Request")
        h.setdefault("Cache-Control", "no-store")
    if request.is_secure:
        h.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def init_app(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    app.url_map.converters["int"] = BoundedIntegerConverter  # before any route is added
    app.before_request(_begin_request)
    app.after_request(_headers)

    @app.context_processor
    def _csrf():
        return {"csrf_token": generate_csrf}
