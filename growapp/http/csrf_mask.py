"""The CSRF token masked with a fresh random pad in every response (BREACH).

Pages are compressed and hold the CSRF token next to input they echo (the search box), the
setting BREACH needs to recover a secret byte by byte from compressed sizes. Flask-WTF's
signed token keeps the same session secret in every response, so each response gets it
XOR-ed with a new random pad instead: ``~`` + base64url(pad ‖ pad⊕token). The bytes differ
every time, so compressed lengths say nothing about it. ``MaskedCSRFProtect`` unmasks what
forms and the ``X-CSRFToken`` header send back before Flask-WTF checks it; an unmasked token
is still accepted.
"""

from __future__ import annotations

import base64
import binascii
import os

from flask import Flask, g, request, session
from flask_wtf.csrf import CSRFProtect, generate_csrf

PREFIX = "~"
FIELD = "csrf_token"  # WTF_CSRF_FIELD_NAME: also the key of Flask-WTF's per-request cache in g


def mask(token: str) -> str:
    raw = token.encode()
    pad = os.urandom(len(raw))
    masked = bytes(a ^ b for a, b in zip(pad, raw, strict=True))
    return PREFIX + base64.urlsafe_b64encode(pad + masked).decode()


def unmask(value: str | None) -> str | None:
    if not value or not value.startswith(PREFIX):
        return value
    try:
        data = base64.urlsafe_b64decode(value[len(PREFIX):])
    except (binascii.Error, ValueError):
        return None
    half = len(data) // 2
    if not half or len(data) % 2:
        return None
    try:
        return bytes(a ^ b for a, b in zip(data[:half], data[half:], strict=True)).decode()
    except UnicodeDecodeError:
        return None


def masked_csrf_token() -> str:
    """The token for this response (masked once per request; every caller gets the same)."""
    token = g.get(FIELD)
    if token is None or not token.startswith(PREFIX):
        setattr(g, FIELD, mask(generate_csrf()))
    return g.get(FIELD)


class MaskedCSRFProtect(CSRFProtect):
    def _get_csrf_token(self):
        return unmask(super()._get_csrf_token())


def init_app(app: Flask) -> None:
    """After the gate: its context processor hands out the unmasked token; this one wins."""

    @app.before_request
    def _prime_masked_token():
        # Flask-WTF's generate_csrf (FlaskForm.hidden_tag, the outbox's session check) returns
        # the per-request cache in g: fill it with the masked token when a session has one.
        if request.endpoint != "static" and FIELD in session:
            masked_csrf_token()

    @app.context_processor
    def _masked():
        return {"csrf_token": masked_csrf_token}

    app.jinja_env.globals["csrf_token"] = masked_csrf_token
