"""What a QR label opens: the plant cockpit (/p/<uuid>) and the tray page (/t/<uuid>)."""

from __future__ import annotations

from flask import render_template, request, url_for

from ...extensions import db
from ...http.htmx import safe_next
from ...services.environment.units import QUANTITIES, fmt
from ...services.errors import NotFound
from ...services.feeding import lots_by_recipe
from ...services.read.cockpit import cockpit
from ...services.read.find import find_by_code
from ...services.read.history import PHOTOS, history, numeric_fields
from ...services.read.tray import tray_view
from ...services.rotation import rotation_history
from ...services.trays import slot_options
from . import bp
from .trends import spark


def back_link(experiment_id: int) -> str:
    return safe_next(request.args.get("from") or request.form.get("from"),
                     url_for("experiments.overview", experiment_id=experiment_id))


def cockpit_context(plant_uuid, **extra) -> dict:
    session = db.session
    view = cockpit(session, plant_uuid)
    # The template, the measurements and the photos came with the cockpit: the story
    # reuses them.
    measured = [(m.plant_id, m.week_number, m.values) for m in reversed(view.metrics)]
    return {"view": view, "back": back_link(view.experiment.id),
            "fields": view.template if view.week >= 1 and view.week not in view.weeks else [],
            "quantities": QUANTITIES, "fmt": fmt,
            **_story(session, view.experiment, [view.plant],
                     fields=numeric_fields(view.template), measured=measured,
                     photos=view.photos), **extra}


def _story(session, experiment, plants, **known) -> dict:
    story = history(session, experiment=experiment, plants=plants, **known)
    return {"story": story, "sparks": [spark(t) for t in story.trends], "limit": PHOTOS}


@bp.get("/p/<uuid:plant_uuid>")
def plant(plant_uuid):
    try:
        ctx = cockpit_context(plant_uuid)
    except NotFound:  # a damaged or foreign label: offer the scanner a search
        return render_template("floor/find.html", q="", results=None, unknown=True), 404
    return render_template("floor/plant.html", **ctx)


@bp.get("/find")
def find():
    q = request.args.get("q", "")
    return render_template("floor/find.html", q=q, results=find_by_code(db.session, q),
                           unknown=False)


def tray_context(tray_uuid, **extra) -> dict:
    session = db.session
    view = tray_view(session, tray_uuid)
    _free, options = slot_options(session, view.experiment.id, [view.row])
    return {"view": view, "back": back_link(view.experiment.id),
            "destinations": options[view.row.tray.id],
            "history": rotation_history(session, tray_id=view.row.tray.id, limit=10),
            "lots": lots_by_recipe(session, view.experiment.id).get(view.row.recipe.code, [])
            if view.row.recipe and view.experiment.status == "running" else [],
            **_story(session, view.experiment, view.plants), **extra}


@bp.get("/t/<uuid:tray_uuid>")
def tray(tray_uuid):
    return render_template("floor/tray.html", **tray_context(tray_uuid))


from . import actions  # noqa: E402,F401
