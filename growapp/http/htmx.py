"""The one helper that picks page vs fragment (htmx 2), and safe return links."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import render_template, request


def wants_fragment() -> bool:
    """HX-Request, but not a boosted navigation and not a history restore."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-Boosted") != "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def render(page_template: str, fragment: str | None = None, status: int = 200, **context):
    """Render ``fragment`` for HTMX requests that want one, else the full page."""
    template = fragment if fragment and wants_fragment() else page_template
    return render_template(template, **context), status


def safe_next(target: str | None, default: str = "/") -> str:
    """Only relative in-app paths: no scheme, no host, no '//' or backslash tricks."""
    if not target:
        return default
    target = target.strip()
    if "\\" in target or any(ord(c) < 32 for c in target):
        return default
    if not target.startswith("/") or target.startswith("//"):
        return default
    try:
        parts = urlsplit(target)
    except ValueError:  # e.g. a netloc that NFKC-normalises into a host ("/\uff0fevil")
        return default
    if parts.scheme or parts.netloc:
        return default
    return target
