"""Placement: trays with occupancy, add/remove plants in place, auto-place with preview."""

from __future__ import annotations

from flask import render_template, request, url_for
from flask_login import current_user

from ...extensions import db
from ...http.htmx import render
from ...services import experiments as exp_service
from ...services import placement as placement_service
from ...services.errors import Invalid, NotFound
from ...services.read.placement import placement_choices, placement_view
from ...services.read.readiness import setup_status
from ...services.tents import tent_restrictions
from ...services.trays import get_tray
from ..forms import int_or_none
from ..writes import page_write, respond
from . import bp


def _args() -> dict:
    """The page's search and cursors, from the query string (or a write's form: ``q``)."""
    return {"q": (request.values.get("q") or "").strip()[:100],
            "at": min(max(request.args.get("at", 0, type=int), 0), 10**6),
            "unplaced_at": min(max(request.args.get("unplaced_at", 0, type=int), 0), 10**7)}


def _context(experiment_id: int, *, view_args: dict | None = None, **extra) -> dict:
    session = db.session
    experiment = exp_service.get_experiment(session, experiment_id)
    return {"experiment": experiment, "bar_setup": setup_status(session, experiment_id),
            "view": placement_view(session, experiment_id, **(view_args or {})), **extra}


@bp.get("")
def index(experiment_id: int):
    """The first page of trays and of unplaced plants; the search (htmx) swaps the list."""
    return render("placement/index.html", "placement/_list.html",
                  **_context(experiment_id, view_args=_args()))


def _list_page(experiment_id: int, template: str):
    session = db.session
    return render_template(template, experiment=exp_service.get_experiment(session,
                                                                             experiment_id),
                           view=placement_view(session, experiment_id, **_args()))


@bp.get("/trays/more")
def trays_page(experiment_id: int):
    """The next page of tray cards, for the sentinel at the end of the previous one."""
    return _list_page(experiment_id, "placement/_trays_page.html")


@bp.get("/unplaced")
def unplaced_page(experiment_id: int):
    """The next page of the unplaced group, for its sentinel."""
    return _list_page(experiment_id, "placement/_unplaced_page.html")


@bp.get("/trays/<int:tray_id>/choices")
def choices(experiment_id: int, tray_id: int):
    """The add picker's suggestions as the operator types: unplaced plants this tray's tent
    allows whose code, cultivar or species contains what is typed."""
    session = db.session
    tray = get_tray(session, tray_id)
    if tray.experiment_id != experiment_id:
        raise NotFound(f"Tray {tray_id} is not in this experiment.")
    tent_id = tray.slot.tent_id if tray.slot else None
    allowed = tent_restrictions(session, experiment_id).get(tent_id) if tent_id else None
    return render_template("placement/_options.html", plants=placement_choices(
        session, experiment_id, allowed=allowed,
        typed=request.args.get("plant_code") or ""))


def _write(experiment_id: int, action, message):
    """A placement write: the refreshed panel in place (htmx) or back to the page."""
    return page_write(action, done=lambda result: respond(
        fragment="placement/_panel.html", flash_message=message(result),
        redirect_to=url_for("placement.index", experiment_id=experiment_id),
        **_context(experiment_id, message=message(result),
                   placed_tray=getattr(result, "tray_id", None))),
        problem=lambda exc: render("placement/index.html", "placement/_panel.html",
                                   **_context(experiment_id, problem=exc.detail)))


def _card_write(experiment_id: int, tray_id: int, action, message: str):
    """Add or remove: the tray's card in place (htmx, with the counts and the unplaced
    group out of band), or back to the page; a refusal shows in the card."""
    def card(**extra):
        return _context(experiment_id, view_args={"q": _args()["q"], "tray_id": tray_id},
                        card_tray=tray_id, **extra)

    return page_write(action, done=lambda _result: respond(
        fragment="placement/_card_write.html", flash_message=message,
        redirect_to=url_for("placement.index", experiment_id=experiment_id),
        **card(card_message=message)),
        problem=lambda exc: render("placement/index.html", "placement/_card_write.html",
                                   **card(card_problem=exc.detail, problem=exc.detail)))


@bp.post("/trays/<int:tray_id>/add")
def add(experiment_id: int, tray_id: int):
    """Add by plant code (typed or picked from the list) or by uuid."""
    def action():
        session = db.session
        plant_uuid = request.form.get("plant_uuid") or placement_service.uuid_for_code(
            session, experiment_id=experiment_id, plant_code=request.form.get("plant_code"))
        return placement_service.place_plant(session, tray_id=tray_id, plant_uuid=plant_uuid,
                                             actor=current_user)

    return _card_write(experiment_id, tray_id, action, "Placed.")


@bp.post("/trays/<int:tray_id>/remove")
def remove(experiment_id: int, tray_id: int):
    """One form per tray; the tapped button carries the plant's uuid."""
    def action():
        plant_uuid = request.form.get("plant_uuid") or ""
        if not plant_uuid:
            raise Invalid("Choose a plant to take out.", {"plant_uuid": ["Choose a plant."]})
        placement_service.unplace_plant(db.session, tray_id=tray_id, plant_uuid=plant_uuid,
                                        actor=current_user)

    return _card_write(experiment_id, tray_id, action, "Taken out of the tray.")


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
