"""Template globals and filters shared by every page."""

from __future__ import annotations

from datetime import UTC, datetime
from types import MappingProxyType
from weakref import WeakKeyDictionary

from flask import Flask, current_app
from flask_login import current_user

from ..http.idempotency import new_key
from ..http.links import next_action_url
from ..services import (
    experiments,
    feeding,
    metrics,
    observations,
    plants,
    rotation,
    species,
    tents,
    trays,
)
from ..services.metrics import activity_text
from ..services.schedules import rules as schedule_rules
from .experiments.roster_rows import roster_rows

HTMX_VERSION = "2.0.11"

STATUS_LABELS = {"draft": "Draft", "running": "Running", "stopped": "Stopped"}

# The limits and vocabularies the services enforce, for templates (``limits.ADVERSE_KINDS``,
# ``maxlength="{{ limits.SKIP_REASON_MAX }}"``): written once, in the service that checks them.
LIMITS = MappingProxyType({
    "ADVERSE_KINDS": observations.ADVERSE_KINDS,
    "ADVERSE_NOTES_MAX": observations.ADVERSE_NOTES_MAX,
    "CORRECTION_REASON_MAX": metrics.CORRECTION_REASON_MAX,
    "EXPERIMENT_NAME_MAX": experiments.NAME_MAX,
    "FROZEN_WHILE_RUNNING": experiments.FROZEN_WHILE_RUNNING,
    "GRADES": plants.GRADES,
    "MAX_CAPACITY": trays.MAX_CAPACITY,
    "MAX_PER_SHELF": tents.MAX_PER_SHELF,
    "MAX_SHELVES": tents.MAX_SHELVES,
    "NOTE_MAX": observations.MAX_NOTE,
    "OPEN_WHILE_RUNNING": experiments.OPEN_WHILE_RUNNING,
    "PLANT_CODE_MAX": plants.PLANT_CODE_MAX,
    "PLANT_REASON_MAX": plants.REASON_MAX,
    "ROTATION_NOTE_MAX": rotation.NOTE_MAX,
    "SCHEDULE_REASON_MAX": schedule_rules.REASON_MAX,
    "SEVERITIES": observations.SEVERITIES,
    "SEVERITY_LABELS": observations.SEVERITY_LABELS,
    "SKIP_REASON_MAX": feeding.SKIP_REASON_MAX,
    "UNDO_SECONDS": feeding.UNDO_SECONDS,
    "TEXT_VALUE_MAX": metrics.TEXT_VALUE_MAX,
})


MACROS = "_macros.html"


def _shared_macro(name: str, *, memo=None):
    """``{{ icon('feed') }}`` and ``{{ csrf() }}`` in any template without ``{% from
    "_macros.html" import … %}``: Jinja works out each import by a set difference over every
    template global, which the cockpit paid once per partial (five of them). The macro is
    the imported module's own (looked up per call, so a reloaded template is seen).

    ``memo(args)`` gives a key under which the output is kept, for a macro whose output
    depends on its arguments only (an icon): a dict lookup instead of a macro call (a new
    Jinja context each; the cockpit draws ten icons). Not kept while templates
    auto-reload."""

    outputs: WeakKeyDictionary = WeakKeyDictionary()  # per Jinja environment (per app)

    def call(*args, **kwargs):
        env = current_app.jinja_env
        if memo is None or kwargs or env.auto_reload:
            return getattr(env.get_template(MACROS).module, name)(*args, **kwargs)
        kept = outputs.setdefault(env, {})
        key = memo(args)
        out = kept.get(key)
        if out is None:
            if len(kept) > 256:  # a few dozen icons × sizes: a bound, never reached
                kept.clear()
            out = kept[key] = getattr(env.get_template(MACROS).module, name)(*args)
        return out

    call.__name__ = name
    return call


def installation_zone():
    return current_app.config.get("TZINFO") or UTC


def _local(value: datetime | None) -> datetime | None:
    """The datetime in the installation's zone (for templates that format it themselves)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(installation_zone())


def _when(value: datetime | None) -> str:
    """``2026-03-01 09:15 CET``: the time where the installation is, with the zone's name."""
    if value is None:
        return "—"
    return _local(value).strftime("%Y-%m-%d %H:%M %Z")


def _role_context() -> dict:
    """``can_write``: whether the signed-in user may log on the floor (operator or admin).
    Templates leave write controls out for viewers; the access gate still refuses."""
    user = current_user
    return {"can_write": bool(getattr(user, "is_authenticated", False)
                              and user.has_role("operator"))}


def init_app(app: Flask) -> None:
    app.context_processor(_role_context)
    app.jinja_env.filters["when"] = _when
    app.jinja_env.filters["local"] = _local
    app.jinja_env.globals["TIMEZONE_SET"] = bool(app.config.get("TIMEZONE"))
    app.jinja_env.globals["HTMX_VERSION"] = HTMX_VERSION
    app.jinja_env.globals["STATUS_LABELS"] = STATUS_LABELS
    app.jinja_env.globals["limits"] = LIMITS
    app.jinja_env.globals["roster_rows"] = roster_rows
    app.jinja_env.globals["new_idempotency_key"] = new_key
    app.jinja_env.globals["next_action_url"] = next_action_url
    app.jinja_env.globals["activity_text"] = activity_text
    app.jinja_env.globals["icon"] = _shared_macro("icon", memo=lambda args: args)
    app.jinja_env.globals["csrf"] = _shared_macro("csrf")
    app.jinja_env.tests["score"] = species.is_score  # {% if f is score %}: tap, not type
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
