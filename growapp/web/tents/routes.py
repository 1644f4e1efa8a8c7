"""Tents: shelf layout, generated slots, allowed species, regeneration."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from ...extensions import db
from ...http.htmx import render, wants_fragment
from ...services import experiments as exp_service
from ...services import species as species_service
from ...services import tents as tent_service
from ...services import trays as tray_service
from ...services.errors import Invalid
from ...services.read.readiness import status_summary
from ..writes import page_write
from . import bp
from .forms import RegenerateForm, RestrictionForm, TentForm


def layout_from(form) -> dict:
    """Build a layout from 'shelves × positions' or an explicit '4,4,3' list."""
    text = (form.shelf_layout.data or "").strip()
    if text:
        try:
            counts = [int(part) for part in text.replace(";", ",").split(",") if part.strip()]
        except ValueError as exc:
            raise Invalid(errors={"shelf_layout": ["Write whole numbers separated by commas, "
                                                   "e.g. 4,4,3."]}) from exc
        return {"schema_version": 1, "shelves": [{"index": i, "tray_count": n}
                                                 for i, n in enumerate(counts, start=1)]}
    if not form.shelves.data or not form.positions.data:
        raise Invalid(errors={"shelves": ["Give the number of shelves and trays per shelf."]})
    return tent_service.uniform_layout(form.shelves.data, form.positions.data)


def _species_choices(session):
    return [(s.id, s.common_name) for s in species_service.list_species(session)]


def _context(experiment_id: int, **extra) -> dict:
    session = db.session
    experiment = exp_service.get_experiment(session, experiment_id)
    tents = tent_service.list_tents(session, experiment_id)
    trays_by_slot = {row.slot.id: row for row in tray_service.list_trays(session, experiment_id)
                     if row.slot}
    form = extra.pop("form", None) or TentForm(formdata=None)
    form.allowed_species.choices = _species_choices(session)
    return {"experiment": experiment, "summary": status_summary(session, experiment_id),
            "tents": tents, "trays_by_slot": trays_by_slot, "form": form,
            "species_choices": form.allowed_species.choices, **extra}


@bp.get("")
def index(experiment_id: int):
    return render_template("tents/index.html", **_context(experiment_id))


def _done(experiment_id: int, message: str, fragment_ctx: dict | None = None):
    if wants_fragment() and fragment_ctx is not None:
        ctx = _context(experiment_id, message=message, **fragment_ctx)
        return render_template("tents/_tents_panel.html", oob=True, **ctx), 200
    flash(message, "success")
    return redirect(url_for("tents.index", experiment_id=experiment_id), code=303)


@bp.post("")
def create(experiment_id: int):
    session = db.session
    form = TentForm()
    form.allowed_species.choices = _species_choices(session)

    def action():
        return tent_service.create_tent(
            session, experiment_id=experiment_id, actor=current_user, name=form.name.data,
            code=form.code.data or None, layout=layout_from(form),
            allowed_species_ids=list(form.allowed_species.data or []))

    def problem(_exc):
        return render("tents/index.html", "tents/_tents_panel.html",
                      **_context(experiment_id, form=form))

    return page_write(action, form=form, problem=problem, done=lambda tent: _done(
        experiment_id, f"Tent {tent.code} created with {len(tent.slots)} slots.", {}))


def _tent_problem(experiment_id: int, tent_id: int, form):
    """Problems of a per-tent form are shown on that tent's card."""
    def problem(_exc):
        errors = list(form.form_errors) + sum((list(v) for k, v in form.errors.items()
                                               if k != "csrf_token"), [])
        return render("tents/index.html", "tents/_tents_panel.html",
                      **_context(experiment_id, tent_errors={tent_id: errors}))
    return problem


@bp.post("/<int:tent_id>/slots")
def regenerate(experiment_id: int, tent_id: int):
    session = db.session
    form = RegenerateForm()

    def action():
        return tent_service.generate_slots(session, tent_id=tent_id, actor=current_user,
                                           layout=layout_from(form))

    return page_write(action, form=form, problem=_tent_problem(experiment_id, tent_id, form),
                      done=lambda tent: _done(experiment_id,
                                              f"Slots of {tent.code} regenerated.", {}))


@bp.post("/<int:tent_id>/species")
def restrict(experiment_id: int, tent_id: int):
    session = db.session
    form = RestrictionForm()
    form.allowed_species.choices = _species_choices(session)

    def action():
        return tent_service.update_tent(session, tent_id=tent_id, actor=current_user,
                                        allowed_species_ids=list(form.allowed_species.data or []))

    return page_write(action, form=form, problem=_tent_problem(experiment_id, tent_id, form),
                      done=lambda tent: _done(experiment_id,
                                              f"Species allowed in {tent.code} saved.", {}))


@bp.post("/<int:tent_id>/delete")
def delete(experiment_id: int, tent_id: int):
    return page_write(lambda: tent_service.delete_tent(
        db.session, tent_id=tent_id, actor=current_user),
        done=lambda _none: _done(experiment_id, "Tent deleted.", {}))
