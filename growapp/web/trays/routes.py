"""Trays: capacity, a free slot whose tent allows the tray's plants, a recipe."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from ...extensions import db
from ...http.htmx import render, wants_fragment
from ...services import experiments as exp_service
from ...services import recipes as recipe_service
from ...services import trays as tray_service
from ...services.codes import next_codes
from ...services.read.readiness import status_summary
from ..forms import int_or_none
from ..writes import page_write
from . import bp
from .forms import BulkTrayForm, TrayEditForm, TrayForm

BULK = "bulk"  # the bulk form's field prefix: its ids must not clash with the one-tray form


def _slot_choices(slots, empty_label="No slot yet"):
    return [("", empty_label)] + [(str(s.id), f"{s.code}") for s in slots]


def _recipe_choices(recipes):
    return [("", "No recipe yet")] + [(str(r.id), f"{r.code} · {r.name}") for r in recipes]


def _context(experiment_id: int, **extra) -> dict:
    session = db.session
    experiment = exp_service.get_experiment(session, experiment_id)
    rows = tray_service.list_trays(session, experiment_id)
    recipes = recipe_service.list_recipes(session, experiment_id)
    free, options = tray_service.slot_options(session, experiment_id, rows)
    form = extra.pop("form", None) or TrayForm(formdata=None)
    form.slot_id.choices = _slot_choices(free)
    form.recipe_id.choices = _recipe_choices(recipes)
    bulk_form = extra.pop("bulk_form", None) or BulkTrayForm(formdata=None, prefix=BULK)
    bulk_form.recipe_id.choices = _recipe_choices(recipes)
    slot_choices = {tray_id: _slot_choices(slots) for tray_id, slots in options.items()}
    return {"experiment": experiment, "summary": status_summary(session, experiment_id),
            "rows": rows, "form": form, "bulk_form": bulk_form,
            "recipe_choices": _recipe_choices(recipes),
            "free_slot_choices": _slot_choices(free), "slot_choices": slot_choices,
            "no_free_slots": not free,
            "next_tray_codes": ", ".join(next_codes([r.tray.code for r in rows], "TR", 2)) + "…",
            **extra}


@bp.get("")
def index(experiment_id: int):
    return render_template("trays/index.html", **_context(experiment_id))


def _done(experiment_id: int, message: str, status: int = 200):
    if wants_fragment():
        return render_template("trays/_panel.html", oob=True,
                               **_context(experiment_id, message=message)), status
    flash(message, "success")
    return redirect(url_for("trays.index", experiment_id=experiment_id), code=303)


@bp.post("")
def create(experiment_id: int):
    form = TrayForm()

    def action():
        return tray_service.create_tray(
            db.session, experiment_id=experiment_id, actor=current_user,
            capacity=form.capacity.data, code=form.code.data or None,
            slot_id=int_or_none(form.slot_id.data), recipe_id=int_or_none(form.recipe_id.data))

    return page_write(action, form=form, done=lambda t: _done(
        experiment_id, f"Tray {t.code} created.", 201), problem=lambda _exc: render(
        "trays/index.html", "trays/_panel.html",
        **_context(experiment_id, form=form)))


@bp.post("/bulk")
def create_many(experiment_id: int):
    form = BulkTrayForm(prefix=BULK)

    def action():
        return tray_service.create_trays(
            db.session, experiment_id=experiment_id, actor=current_user,
            count=form.count.data, capacity=form.capacity.data,
            recipe_id=int_or_none(form.recipe_id.data))

    return page_write(action, form=form, done=lambda trays: _done(
        experiment_id, f"Added {len(trays)} trays: {trays[0].code}–{trays[-1].code}.", 201),
        problem=lambda exc: render("trays/index.html", "trays/_panel.html", **_context(
            experiment_id, bulk_form=form, problem=exc.detail if exc.status == 409 else None)))


@bp.post("/<int:tray_id>")
def update(experiment_id: int, tray_id: int):
    form = TrayEditForm()

    def action():
        return tray_service.update_tray(
            db.session, tray_id=tray_id, actor=current_user, capacity=form.capacity.data,
            slot_id=int_or_none(form.slot_id.data), recipe_id=int_or_none(form.recipe_id.data))

    return page_write(action, form=form, done=lambda t: _done(experiment_id, f"Saved {t.code}."),
                      problem=lambda _exc: render(
                          "trays/index.html", "trays/_panel.html",
                          **_context(experiment_id, edit_errors={tray_id: form})))


@bp.post("/<int:tray_id>/delete")
def delete(experiment_id: int, tray_id: int):
    return page_write(lambda: tray_service.delete_tray(
        db.session, tray_id=tray_id, actor=current_user),
        done=lambda _none: _done(experiment_id, "Tray deleted."))
