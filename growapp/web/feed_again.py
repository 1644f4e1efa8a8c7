""""Fed 3 min ago by Demo Operator — feed again?": the page side of the 30-minute rule.

Page feeds ask the service to refuse a second feed within 30 minutes (``ask_if_recent``)
unless the form carries ``confirm=1``; the API never asks. The 409 fragment shows the
sentence and a "Feed again" form that re-posts the same fields with ``confirm=1`` and a
fresh idempotency key (``templates/floor/_feed_again.html``).
"""

from __future__ import annotations

from flask import request

from ..services.errors import DomainError

CARRIED = ("status", "amount", "lot_id", "notes", "reason", "plant_uuid", "tray_id", "next",
           "from")


def ask_first() -> bool:
    """True unless the person already said "feed again" (``confirm=1``)."""
    return request.form.get("confirm") != "1"


def feed_again(exc: DomainError, target: str) -> dict | None:
    """What the "Feed again" form needs when ``exc`` is the recent-feed conflict."""
    diagnostics = getattr(exc, "diagnostics", None) or {}
    if not diagnostics.get("recent_feed"):
        return None
    fields = {k: request.form.get(k) for k in CARRIED if request.form.get(k)}
    return {"action": request.path, "target": target, "fields": fields, **diagnostics}
