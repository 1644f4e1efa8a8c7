"""Absolute links that leave the app (invite and password-reset emails): always built
from PUBLIC_BASE_URL, never from the request's Host header, which the client chooses."""

from __future__ import annotations

from flask import current_app, request, url_for

from ..labels import is_local_host
from ..services.errors import Conflict


def public_base_url() -> str:
    """PUBLIC_BASE_URL. Without it: in development, the request's own address when it is
    this machine (localhost); otherwise a Conflict (409) with the sentence to fix it."""
    cfg = current_app.config
    configured = (cfg.get("PUBLIC_BASE_URL") or "").strip().rstrip("/")
    if configured:
        return configured
    if cfg.get("ENV") != "production" and is_local_host(request.host.rsplit(":", 1)[0]
                                                         .strip("[]")):
        return request.host_url.rstrip("/")
    raise Conflict(
        "No link was made: PUBLIC_BASE_URL is not set, so growapp does not know its own "
        "address (it never trusts the address a request claims). Set PUBLIC_BASE_URL to the "
        "address people use, e.g. https://grow.example.org.",
        {"public_base_url": None, "env": cfg.get("ENV")})


def public_url(endpoint: str, **values) -> str:
    return public_base_url() + url_for(endpoint, **values)
