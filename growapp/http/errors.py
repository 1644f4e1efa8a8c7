"""One place that maps errors to JSON (API), an HTMX fragment, or a full page."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, make_response, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError, IntegrityError, OperationalError, ProgrammingError
from werkzeug.exceptions import HTTPException

from ..extensions import db
from ..services.errors import Conflict, DomainError, Invalid
from .gate import is_api_request
from .htmx import wants_fragment

log = logging.getLogger(__name__)

MESSAGES = {
    400: "That request could not be understood.",
    401: "Please sign in.",
    403: "You do not have permission to do that.",
    404: "We could not find that page.",
    405: "That action is not allowed here.",
    409: "That conflicts with the current state.",
    410: "That link is no longer valid.",
    412: "Someone else changed this in the meantime. Reload and try again.",
    413: "That upload is too large.",
    422: "Please correct the highlighted fields.",
    429: "Too many attempts. Please wait and try again.",
    500: "Something went wrong on our side. It has been logged.",
}


def problem_response(status: int, detail: str, *, errors: dict | None = None,
                     diagnostics: dict | None = None, code: str | None = None):
    """Render one problem in the form the client asked for."""
    if is_api_request():
        body: dict = {"detail": detail}
        if errors is not None:
            body["errors"] = errors
        if diagnostics is not None:
            body["diagnostics"] = diagnostics
        if code:
            body["code"] = code
        resp = jsonify(body)
        resp.status_code = status
        return resp
    ctx = {"status": status, "detail": detail, "errors": errors or {},
           "diagnostics": diagnostics or {}}
    if wants_fragment():
        return render_template("errors/_problem.html", **ctx), status
    return render_template("errors/problem.html", **ctx), status


def _rollback() -> None:
    try:
        db.session.rollback()
    except Exception:  # pragma: no cover - connection already gone
        log.exception("rollback failed")


def _missing_table(exc) -> bool:
    """The schema is not there yet (the app started before ``flask db upgrade``)."""
    code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    return code == "42P01" or "no such table" in str(exc.orig)


def _not_migrated():
    log.error("database tables missing: run `flask db upgrade`")
    return problem_response(503, "The database is not set up yet. Try again shortly.",
                            code="migrations_pending")


def handle_domain_error(exc: DomainError):
    _rollback()
    if isinstance(exc, Conflict):
        return problem_response(409, exc.detail, diagnostics=exc.diagnostics)
    if isinstance(exc, Invalid):
        return problem_response(422, exc.detail, errors=exc.errors)
    resp = make_response(problem_response(exc.status, exc.detail))
    retry = exc.extra.get("retry_after")
    if retry is not None:  # 429/503 that know when to come back say so (RFC 9110)
        resp.headers["Retry-After"] = str(max(1, int(retry)))
    return resp


def init_app(app: Flask) -> None:
    app.register_error_handler(DomainError, handle_domain_error)

    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError):
        _rollback()
        return problem_response(
            400, "Your form expired or was sent from elsewhere. Reload the page and try again.",
            code="csrf_failed")

    @app.errorhandler(IntegrityError)
    def _integrity(exc: IntegrityError):
        _rollback()
        log.warning("integrity error: %s", exc.orig)
        return problem_response(409, "That change conflicts with existing data.",
                                diagnostics={})

    @app.errorhandler(DataError)
    def _data(exc: DataError):
        _rollback()
        log.warning("data error: %s", exc.orig)
        return problem_response(422, "A value is out of range or of the wrong kind.",
                                errors={"body": ["A value is out of range."]})

    @app.errorhandler(OperationalError)
    def _operational(exc: OperationalError):
        _rollback()
        if _missing_table(exc):
            return _not_migrated()
        log.exception("database error")
        return problem_response(503, "The database is busy or unavailable. Try again shortly.")

    @app.errorhandler(ProgrammingError)
    def _programming(exc: ProgrammingError):
        if _missing_table(exc):
            _rollback()
            return _not_migrated()
        return _unexpected(exc)

    @app.errorhandler(OverflowError)
    def _overflow(exc: OverflowError):
        # SQLite's driver refuses integers beyond 64 bits; ids that large exist nowhere.
        _rollback()
        log.warning("number out of range: %s", exc)
        return problem_response(422, "A number in the request is too large.",
                                errors={"body": ["A number is out of range."]})

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        _rollback()
        status = exc.code or 500
        detail = MESSAGES.get(status, exc.description or "Error")
        code = None
        if status == 413:
            limit = app.config["MAX_UPLOAD_MB"]
            detail = f"That upload is too large. The limit is {limit} MB."
            code = "request_too_large"
        elif status == 400 and exc.description and is_api_request():
            detail = exc.description
        resp = problem_response(status, detail, code=code)
        allowed = getattr(exc, "valid_methods", None)
        if status == 405 and allowed:  # RFC 9110: a 405 says what is allowed
            if not isinstance(resp, tuple):
                resp.headers["Allow"] = ", ".join(sorted(allowed))
            else:
                resp = (*resp, {"Allow": ", ".join(sorted(allowed))})
        return resp

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        if isinstance(exc, HTTPException):
            return _http(exc)
        _rollback()
        log.exception("unhandled error on %s %s", request.method, request.path)
        return problem_response(500, MESSAGES[500])
