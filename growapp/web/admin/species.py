"""Admin: species (presets and custom) and per-category metric templates."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from ...extensions import db
from ...http.htmx import render
from ...services import species as species_service
from ..writes import page_write, respond
from . import bp
from .template_fields import EDITOR_TYPES, editor_rows, parse_rows


class SpeciesForm(FlaskForm):
    common_name = StringField("Common name", validators=[DataRequired(), Length(max=120)])
    scientific_name = StringField("Scientific name", validators=[Optional(), Length(max=160)])
    category = SelectField("Category", validate_choice=False)
    default_cultivar = StringField("Default cultivar", validators=[Optional(), Length(max=120)])


class TemplateForm(FlaskForm):
    category = StringField("Category", validators=[DataRequired(), Length(max=32)])
    code_prefix = StringField("Code prefix", validators=[Optional(), Length(max=6)])


def _context(**extra):
    session = db.session
    form = extra.pop("form", None) or SpeciesForm(formdata=None)
    form.category.choices = [(c, c.title()) for c in species_service.categories(session)]
    templates = [species_service.template_for(session, c)
                 for c in species_service.categories(session)]
    return {"species": species_service.list_species(session), "form": form,
            "templates": templates, "template_form": extra.pop("template_form", None)
            or TemplateForm(formdata=None), "editor_types": EDITOR_TYPES,
            "editor_rows": editor_rows, **extra}


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

    return page_write(action, form=form, done=success, problem=lambda _exc: render(
        "admin/species.html", **_context(form=form)))


@bp.post("/species/<int:species_id>/delete")
def delete_species(species_id: int):
    return page_write(lambda: species_service.delete_species(
        db.session, actor=current_user, species_id=species_id), done=lambda _none: respond(
        fragment=None, redirect_to=url_for("admin.species"), flash_message="Species deleted.",
        category="info"))


@bp.post("/templates")
def save_template():
    """Save a category's template from the field-by-field editor (rows, add, remove, move)."""
    form = TemplateForm()
    fields = parse_rows(request.form)

    def show(exc):
        return render_template("admin/species.html", **_context(
            template_form=form, open_category=request.form.get("category"),
            posted_fields=fields, template_errors=(exc.errors or {}).get("fields", [])))

    def done(_template):
        return respond(fragment=None, redirect_to=url_for("admin.species") + "#templates",
                       flash_message=f"Template for {form.category.data} saved.")

    return page_write(lambda: species_service.save_template(
        db.session, actor=current_user, category=form.category.data,
        fields=fields, code_prefix=form.code_prefix.data or None),
        form=form, done=done, problem=show)
