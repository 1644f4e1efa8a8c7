"""Template globals and filters shared by every page."""

from __future__ import annotations

from datetime import datetime

from flask import Flask

from ..http.idempotency import new_key
from ..http.links import next_action_url
from .experiments.roster_rows import roster_rows

HTMX_VERSION = "2.0.11"

STATUS_LABELS = {"draft": "Draft", "running": "Running", "stopped": "Stopped"}


def _when(value: datetime | None) -> str:
    if value is None:
        return "—"
    return value.strftime("%Y-%m-%d %H:%M UTC")


def init_app(app: Flask) -> None:
    app.jinja_env.filters["when"] = _when
    app.jinja_env.globals["HTMX_VERSION"] = HTMX_VERSION
    app.jinja_env.globals["STATUS_LABELS"] = STATUS_LABELS
    app.jinja_env.globals["roster_rows"] = roster_rows
    app.jinja_env.globals["new_idempotency_key"] = new_key
    app.jinja_env.globals["next_action_url"] = next_action_url
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
