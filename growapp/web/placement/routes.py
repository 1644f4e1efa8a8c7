"""Placement: trays with occupancy, add/remove plants in place, auto-place with preview."""

from __future__ import annotations

from flask import render_template, request, url_for
from flask_login import current_user

from ...extensions import db
from ...http.htmx import render
from ...services import experiments as exp_service
from ...services import placement as placement_service
from ...services.errors import Invalid
from ...services.read.placement import placement_view
from ...services.read.readiness import status_summary
from ..forms import int_or_none
from ..writes import page_write, respond
from . import bp


def _context(experiment_id: int, **extra) -> dict:
    session = db.session
    experiment = exp_service.get_experiment(session, experiment_id)
    return {"experiment": experiment, "summary": status_summary(session, experiment_id),
            "view": placement_view(session, experiment_id), **extra}


@bp.get("")
def index(experiment_id: int):
    return render_template("placement/index.html", **_context(experiment_id))


def _write(experiment_id: int, action, message):
    """A placement write: the refreshed panel in place (htmx) or back to the page."""
    return page_write(action, done=lambda result: respond(
        fragment="placement/_panel.html", flash_message=message(result),
        redirect_to=url_for("placement.index", experiment_id=experiment_id),
        **_context(experiment_id, message=message(result),
                   placed_tray=getattr(result, "tray_id", None))),
        problem=lambda exc: render("placement/index.html", "placement/_panel.html",
                                   **_context(experiment_id, problem=exc.detail)))


@bp.post("/trays/<int:tray_id>/add")
def add(experiment_id: int, tray_id: int):
    """Add by plant code (typed or picked from the list) or by uuid."""
    def action():
        session = db.session
        plant_uuid = request.form.get("plant_uuid") or placement_service.uuid_for_code(
            session, experiment_id=experiment_id, plant_code=request.form.get("plant_code"))
        return placement_service.place_plant(session, tray_id=tray_id, plant_uuid=plant_uuid,
                                             actor=current_user)

    return _write(experiment_id, action, lambda _link: "Placed.")


@bp.post("/trays/<int:tray_id>/remove")
def remove(experiment_id: int, tray_id: int):
    """One form per tray; the tapped button carries the plant's uuid."""
    def action():
        plant_uuid = request.form.get("plant_uuid") or ""
        if not plant_uuid:
            raise Invalid("Choose a plant to take out.", {"plant_uuid": ["Choose a plant."]})
        placement_service.unplace_plant(db.session, tray_id=tray_id, plant_uuid=plant_uuid,
                                        actor=current_user)

    return _write(experiment_id, action, lambda _none: "Taken out of the tray.")


def _auto_args():
    mode = request.form.get("mode") or "randomized"
    seed_text = (request.form.get("seed") or "").strip()
    seed = int_or_none(seed_text)
    if seed_text and seed is None:
        raise Invalid("The seed is a whole number.", {"seed": ["Enter a whole number."]})
    return mode, seed


def _auto_place(experiment_id: int, **kwargs):
    mode, seed = _auto_args()
    return placement_service.auto_place(db.session, experiment_id=experiment_id,
                                        actor=current_user, mode=mode, seed=seed, **kwargs)


@bp.post("/auto/preview")
def auto_preview(experiment_id: int):
    """The allocation auto-place would make, written nothing (rolled back)."""
    def show(**extra):
        return render("placement/index.html", "placement/_auto.html",
                      **_context(experiment_id, **extra))

    return page_write(lambda: _auto_place(experiment_id, apply=False), dry_run=True,
                      done=lambda result: show(preview=result,
                                               reasons=placement_service.REASONS),
                      problem=lambda exc: show(auto_problem=exc.detail))


def _placed_message(result) -> str:
    left = len(result.unplaceable_plants)
    return (f"Placed {len(result.placed)} plants"
            + (f" (seed {result.seed})" if result.seed is not None else "")
            + (f"; {left} could not be placed." if left else "."))


@bp.post("/auto")
def auto_apply(experiment_id: int):
    return _write(experiment_id, lambda: _auto_place(
        experiment_id, allow_partial=request.form.get("allow_partial") == "1"), _placed_message)
