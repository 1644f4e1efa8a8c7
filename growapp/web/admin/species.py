"""Admin: species (presets and custom) and per-category metric templates."""

from __future__ import annotations

import json

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ...extensions import db
from ...http.htmx import render
from ...services import species as species_service
from ...services.errors import Conflict, Invalid
from ..forms import merge_errors, run_form
from . import bp


class SpeciesForm(FlaskForm):
    common_name = StringField("Common name", validators=[DataRequired(), Length(max=120)])
    scientific_name = StringField("Scientific name", validators=[Optional(), Length(max=160)])
    category = SelectField("Category", validate_choice=False)
    default_cultivar = StringField("Default cultivar", validators=[Optional(), Length(max=120)])


class TemplateForm(FlaskForm):
    category = StringField("Category", validators=[DataRequired(), Length(max=32)])
    code_prefix = StringField("Code prefix", validators=[Optional(), Length(max=6)])
    fields_json = TextAreaField("Fields (JSON list)", validators=[DataRequired()])


def _context(**extra):
    session = db.session
    form = extra.pop("form", None) or SpeciesForm(formdata=None)
    form.category.choices = [(c, c.title()) for c in species_service.categories(session)]
    templates = [species_service.template_for(session, c)
                 for c in species_service.categories(session)]
    return {"species": species_service.list_species(session), "form": form,
            "templates": templates, "template_form": extra.pop("template_form", None)
            or TemplateForm(formdata=None), "json": json, **extra}


@bp.get("/species")
def species():
    return render_template("admin/species.html", **_context())


@bp.post("/species")
def create_species():
    session = db.session
    form = SpeciesForm()
    form.category.choices = []

    def action():
        return species_service.create_species(
            session, actor=current_user, common_name=form.common_name.data,
            scientific_name=form.scientific_name.data or "", category=form.category.data,
            default_cultivar=form.default_cultivar.data or "")

    def success(sp):
        flash(f"Added {sp.common_name}.", "success")
        return redirect(url_for("admin.species"), code=303)

    return run_form(form, action, on_success=success, rerender=lambda status: render(
        "admin/species.html", status=status, **_context(form=form)))


@bp.post("/species/<int:species_id>/delete")
def delete_species(species_id: int):
    session = db.session
    species_service.delete_species(session, actor=current_user, species_id=species_id)
    session.commit()
    flash("Species deleted.", "info")
    return redirect(url_for("admin.species"), code=303)


@bp.post("/templates")
def save_template():
    session = db.session
    form = TemplateForm()
    status = 422
    if form.validate():
        try:
            fields = json.loads(form.fields_json.data)
            species_service.save_template(session, actor=current_user,
                                          category=form.category.data, fields=fields,
                                          code_prefix=form.code_prefix.data or None)
        except json.JSONDecodeError as exc:
            form.fields_json.errors = [f"Not valid JSON: {exc.msg} (line {exc.lineno})."]
        except Invalid as exc:
            session.rollback()
            merge_errors(form, exc)
        except Conflict as exc:
            session.rollback()
            form.form_errors.append(exc.detail)
            status = 409
        else:
            session.commit()
            flash(f"Template for {form.category.data} saved.", "success")
            return redirect(url_for("admin.species") + "#templates", code=303)
    return render_template("admin/species.html", **_context(template_form=form,
                                                           open_category=request.form.get(
                                                               "category"))), status
