"""Placement: trays with occupancy, add/remove plants in place, auto-place with preview."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from ...extensions import db
from ...http.htmx import render, wants_fragment
from ...services import experiments as exp_service
from ...services import placement as placement_service
from ...services.errors import Conflict, Invalid
from ...services.read.placement import placement_view
from ...services.read.readiness import status_summary
from ..forms import int_or_none
from . import bp


def _context(experiment_id: int, **extra) -> dict:
    session = db.session
    experiment = exp_service.get_experiment(session, experiment_id)
    return {"experiment": experiment, "summary": status_summary(session, experiment_id),
            "view": placement_view(session, experiment_id), **extra}


@bp.get("")
def index(experiment_id: int):
    return render_template("placement/index.html", **_context(experiment_id))


def _respond(experiment_id: int, *, message: str | None = None, problem: str | None = None,
             status: int = 200, **extra):
    if not wants_fragment():
        if status >= 400:
            return render_template("placement/index.html", **_context(
                experiment_id, problem=problem, **extra)), status
        flash(message, "success")
        return redirect(url_for("placement.index", experiment_id=experiment_id), code=303)
    return render_template("placement/_panel.html", **_context(
        experiment_id, message=message, problem=problem, **extra)), status


@bp.post("/trays/<int:tray_id>/add")
def add(experiment_id: int, tray_id: int):
    """Add by plant code (typed or picked from the list) or by uuid."""
    session = db.session
    try:
        plant_uuid = request.form.get("plant_uuid") or placement_service.uuid_for_code(
            session, experiment_id=experiment_id, plant_code=request.form.get("plant_code"))
        link = placement_service.place_plant(session, tray_id=tray_id, plant_uuid=plant_uuid,
                                             actor=current_user)
    except (Conflict, Invalid) as exc:
        session.rollback()
        return _respond(experiment_id, problem=exc.detail,
                        status=409 if isinstance(exc, Conflict) else 422)
    session.commit()
    return _respond(experiment_id, message="Placed.", placed_tray=link.tray_id)


@bp.post("/trays/<int:tray_id>/remove")
def remove(experiment_id: int, tray_id: int):
    """One form per tray; the tapped button carries the plant's uuid."""
    session = db.session
    try:
        plant_uuid = request.form.get("plant_uuid") or ""
        if not plant_uuid:
            raise Invalid("Choose a plant to take out.", {"plant_uuid": ["Choose a plant."]})
        placement_service.unplace_plant(session, tray_id=tray_id, plant_uuid=plant_uuid,
                                        actor=current_user)
    except (Conflict, Invalid) as exc:
        session.rollback()
        return _respond(experiment_id, problem=exc.detail,
                        status=409 if isinstance(exc, Conflict) else 422)
    session.commit()
    return _respond(experiment_id, message="Taken out of the tray.")


def _auto_args():
    mode = request.form.get("mode") or "randomized"
    seed_text = (request.form.get("seed") or "").strip()
    seed = int_or_none(seed_text)
    if seed_text and seed is None:
        raise Invalid("The seed is a whole number.", {"seed": ["Enter a whole number."]})
    return mode, seed


@bp.post("/auto/preview")
def auto_preview(experiment_id: int):
    session = db.session
    try:
        mode, seed = _auto_args()
        result = placement_service.auto_place(session, experiment_id=experiment_id,
                                              actor=current_user, mode=mode, seed=seed,
                                              apply=False)
    except (Conflict, Invalid) as exc:
        session.rollback()
        status = 409 if isinstance(exc, Conflict) else 422
        return render("placement/index.html", "placement/_auto.html", status=status,
                      **_context(experiment_id, auto_problem=exc.detail))
    session.rollback()  # a preview writes nothing
    return render("placement/index.html", "placement/_auto.html",
                  **_context(experiment_id, preview=result, reasons=placement_service.REASONS))


@bp.post("/auto")
def auto_apply(experiment_id: int):
    session = db.session
    try:
        mode, seed = _auto_args()
        result = placement_service.auto_place(
            session, experiment_id=experiment_id, actor=current_user, mode=mode, seed=seed,
            allow_partial=request.form.get("allow_partial") == "1")
    except (Conflict, Invalid) as exc:
        session.rollback()
        return _respond(experiment_id, problem=exc.detail,
                        status=409 if isinstance(exc, Conflict) else 422)
    session.commit()
    left = len(result.unplaceable_plants)
    return _respond(experiment_id, message=f"Placed {len(result.placed)} plants"
                    + (f" (seed {result.seed})" if result.seed is not None else "")
                    + (f"; {left} could not be placed." if left else "."))
