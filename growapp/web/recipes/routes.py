"""Recipes (R0 control first) and lots mixed from them."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from ...extensions import db
from ...http.htmx import render, wants_fragment
from ...services import experiments as exp_service
from ...services import recipes as recipe_service
from ...services.read.readiness import status_summary
from ..writes import page_write
from . import bp
from .forms import LotForm, RecipeForm


def _num(value):
    return float(value) if value is not None else None


def _recipe_fields(form: RecipeForm) -> dict:
    return {"name": form.name.data, "product": form.product.data or "",
            "concentration": _num(form.concentration.data), "unit": form.unit.data or "",
            "volume_ml": _num(form.volume_ml.data), "colour": form.colour.data or None,
            "notes": form.notes.data or ""}


def _context(experiment_id: int, **extra) -> dict:
    session = db.session
    experiment = exp_service.get_experiment(session, experiment_id)
    form = extra.pop("form", None) or RecipeForm(formdata=None)
    if not form.code.data:
        form.code.data = recipe_service.suggest_recipe_code(session, experiment_id)
    if not form.colour.data:  # a fresh form: a colour no recipe uses yet
        form.colour.data = recipe_service.suggest_colour(session, experiment_id)
    return {"experiment": experiment, "summary": status_summary(session, experiment_id),
            "recipes": recipe_service.list_recipes(session, experiment_id), "form": form,
            **extra}


@bp.get("/recipes")
def index(experiment_id: int):
    return render_template("recipes/index.html", **_context(experiment_id))


def _done(experiment_id: int, message: str):
    if wants_fragment():
        return render_template("recipes/_panel.html", oob=True,
                               **_context(experiment_id, message=message))
    flash(message, "success")
    return redirect(url_for("recipes.index", experiment_id=experiment_id), code=303)


def _problem(experiment_id, **ctx):
    return lambda _exc: render("recipes/index.html", "recipes/_panel.html",
                                 **_context(experiment_id, **ctx))


@bp.post("/recipes")
def create(experiment_id: int):
    form = RecipeForm()

    def action():
        return recipe_service.create_recipe(db.session, experiment_id=experiment_id,
                                            actor=current_user, code=form.code.data or None,
                                            **_recipe_fields(form))

    return page_write(action, form=form, problem=_problem(experiment_id, form=form),
                      done=lambda r: _done(experiment_id, f"Added {r.code}: {r.name}."))


@bp.post("/recipes/<int:recipe_id>")
def update(experiment_id: int, recipe_id: int):
    form = RecipeForm(prefix=f"r{recipe_id}")

    def action():
        return recipe_service.update_recipe(db.session, recipe_id=recipe_id, actor=current_user,
                                            code=form.code.data or None, **_recipe_fields(form))

    return page_write(action, form=form,
                      problem=_problem(experiment_id, edit_errors={recipe_id: form}),
                      done=lambda r: _done(experiment_id, f"Saved {r.code}."))


@bp.post("/recipes/<int:recipe_id>/delete")
def delete(experiment_id: int, recipe_id: int):
    return page_write(lambda: recipe_service.delete_recipe(
        db.session, recipe_id=recipe_id, actor=current_user),
        done=lambda _none: _done(experiment_id, "Recipe deleted."))


# Lots ------------------------------------------------------------------------------------

def _lot_context(experiment_id: int, **extra) -> dict:
    session = db.session
    experiment = exp_service.get_experiment(session, experiment_id)
    recipes = recipe_service.list_recipes(session, experiment_id)
    form = extra.pop("form", None) or LotForm(formdata=None)
    form.recipe_id.choices = [(r.id, f"{r.code} · {r.name}") for r in recipes]
    return {"experiment": experiment, "summary": status_summary(session, experiment_id),
            "lots": recipe_service.list_lots(session, experiment_id), "form": form,
            "recipe_codes": {r.id: r.code for r in recipes}, **extra}


@bp.get("/lots")
def lots(experiment_id: int):
    return render_template("recipes/lots.html", **_lot_context(experiment_id))


@bp.post("/lots")
def create_lot(experiment_id: int):
    form = LotForm()
    form.recipe_id.choices = []

    def action():
        return recipe_service.create_lot(
            db.session, experiment_id=experiment_id, actor=current_user,
            recipe_id=form.recipe_id.data, notes=form.notes.data or "",
            volume_ml=_num(form.volume_ml.data), ec=_num(form.ec.data), ph=_num(form.ph.data),
            temperature_c=_num(form.temperature_c.data))

    def success(lot):
        message = f"Lot {lot.code} recorded."
        if wants_fragment():
            return render_template("recipes/_lots_panel.html",
                                   **_lot_context(experiment_id, message=message)), 201
        flash(message, "success")
        return redirect(url_for("recipes.lots", experiment_id=experiment_id), code=303)

    return page_write(action, form=form, done=success, problem=lambda _exc: render(
        "recipes/lots.html", "recipes/_lots_panel.html",
        **_lot_context(experiment_id, form=form)))
