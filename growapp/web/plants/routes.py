"""Add plants (preset or custom species, suggested codes), edit codes/grades, CSV import."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from ...extensions import db
from ...http.htmx import render, wants_fragment
from ...services import experiments as exp_service
from ...services import plants as plant_service
from ...services import species as species_service
from ...services.codes import next_codes
from ...services.plant_import import COLUMNS, import_plants
from ...services.read.readiness import status_summary
from ..csv_import import csv_import_write
from ..forms import int_or_none
from ..writes import page_write, respond
from . import bp
from .forms import AddPlantsForm, PlantRowForm

PAGE = 200


def _species_choices(session) -> dict:
    groups: dict[str, list] = {}
    for sp in species_service.list_species(session):
        label = sp.common_name + (f" — {sp.scientific_name}" if sp.scientific_name
                                  and sp.scientific_name != sp.common_name else "")
        groups.setdefault(sp.category.title(), []).append((str(sp.id), label))
    groups["Other"] = groups.get("Other", []) + [("new", "Custom species…")]
    return groups


def _add_form(session, fresh: bool = False) -> AddPlantsForm:
    form = AddPlantsForm(formdata=None) if fresh else AddPlantsForm()
    form.species_id.choices = _species_choices(session)
    form.custom_category.choices = [(c, c.title()) for c in species_service.categories(session)]
    return form


def _code_hint(session, experiment_id: int, species_id, category: str | None = None) -> str:
    """The plant-code hint for the chosen species (or a custom species' category)."""
    species = None
    if (sid := int_or_none(species_id)) is not None:
        species = next((sp for sp in species_service.list_species(session) if sp.id == sid), None)
    if species is not None:
        first, second = plant_service.suggest_codes(session, experiment_id=experiment_id,
                                                    species=species, count=2)
    elif category in species_service.categories(session):
        prefix = plant_service.code_prefix(session, category)
        first, second = next_codes(plant_service.existing_codes(session, experiment_id),
                                   prefix, 2, width=3)
    else:
        return "Leave empty to get codes from the species' category, e.g. VFT-001."
    return f"Leave empty to get {first}, {second}… continuing the highest code."


def _context(experiment_id: int, **extra) -> dict:
    session = db.session
    experiment = exp_service.get_experiment(session, experiment_id)
    page = max(request.args.get("page", 1, type=int), 1)
    total, plants = plant_service.list_plants(session, experiment_id=experiment_id,
                                              limit=PAGE, offset=(page - 1) * PAGE)
    ctx = {"experiment": experiment, "summary": status_summary(session, experiment_id),
           "plants": plants, "total": total, "page": page,
           "pages": max((total + PAGE - 1) // PAGE, 1),
           "columns": COLUMNS, "editable_codes": experiment.status == "draft"}
    ctx.setdefault("form", extra.pop("form", None) or _add_form(session, fresh=True))
    form = ctx["form"]
    chosen = form.species_id.data or next(
        (value for group in form.species_id.choices.values() for value, _ in group), None)
    ctx["code_hint"] = _code_hint(session, experiment_id, chosen, form.custom_category.data)
    ctx.update(extra)
    return ctx


@bp.get("/code-hint")
def code_hint(experiment_id: int):
    """The hint under the code field, following the species picked (htmx GET on change)."""
    session = db.session
    exp_service.get_experiment(session, experiment_id)
    return render_template("plants/_code_hint.html", code_hint=_code_hint(
        session, experiment_id, request.args.get("species_id"),
        request.args.get("custom_category")))


@bp.get("")
def index(experiment_id: int):
    return render_template("plants/index.html", **_context(experiment_id))


@bp.post("")
def add(experiment_id: int):
    session = db.session
    form = _add_form(session)

    def action():
        species_id = form.species_id.data
        if species_id == "new":
            species = species_service.create_species(
                session, actor=current_user, common_name=form.custom_common_name.data or "",
                scientific_name=form.custom_scientific_name.data or "",
                category=form.custom_category.data or "")
            species_id = species.id
        return plant_service.add_plants(
            session, experiment_id=experiment_id, actor=current_user,
            species_id=int_or_none(species_id), quantity=form.quantity.data,
            cultivar=form.cultivar.data or "", plant_code=form.plant_code.data or None,
            grade=form.grade.data or None)

    def success(plants):
        message = f"Added {len(plants)} plant{'s' if len(plants) != 1 else ''}: " \
                  f"{plants[0].plant_code}" + (f" … {plants[-1].plant_code}"
                                              if len(plants) > 1 else "") + "."
        if wants_fragment():
            fresh = _add_form(session, fresh=True)  # keep species and cultivar for the next batch
            fresh.species_id.data, fresh.cultivar.data = form.species_id.data, form.cultivar.data
            if form.species_id.data == "new":
                fresh.species_id.data = str(plants[0].species_id)
                fresh.species_id.choices = _species_choices(session)
            ctx = _context(experiment_id, form=fresh, new_plants=plants, message=message)
            return render_template("plants/_add_success.html", **ctx), 201
        flash(message, "success")
        return redirect(url_for("plants.index", experiment_id=experiment_id), code=303)

    def problem(_exc):
        return render("plants/index.html", "plants/_add_form.html",
                      **_context(experiment_id, form=form))

    return page_write(action, form=form, done=success, problem=problem)


@bp.post("/<uuid:plant_uuid>")
def update(experiment_id: int, plant_uuid):
    session = db.session
    plant = plant_service.get_plant(session, plant_uuid)
    form = PlantRowForm()

    def action():
        fields = {"grade": form.grade.data or None}
        if form.plant_code.data:
            fields["plant_code"] = form.plant_code.data
        return plant_service.update_plant(session, plant_uuid=plant.uuid, actor=current_user,
                                          **fields)

    def success(updated):
        if wants_fragment():
            ctx = _context(experiment_id)
            return render_template("plants/_row.html", plant=updated, saved=True,
                                   **{k: ctx[k] for k in ("experiment", "editable_codes")})
        flash(f"Saved {updated.plant_code}.", "success")
        return redirect(url_for("plants.index", experiment_id=experiment_id), code=303)

    def problem(_exc):
        session.refresh(plant)
        ctx = _context(experiment_id)
        if wants_fragment():
            return render_template("plants/_row.html", plant=plant, row_form=form,
                                   experiment=ctx["experiment"],
                                   editable_codes=ctx["editable_codes"])
        return render_template("plants/index.html", row_errors={plant.id: form}, **ctx)

    return page_write(action, form=form, done=success, problem=problem)


@bp.post("/import")
def import_csv(experiment_id: int):
    """Dry run by default; ``confirm=1`` imports the same text all-or-nothing."""
    def run(data: bytes, dry_run: bool):
        return import_plants(db.session, experiment_id=experiment_id, data=data,
                             actor=current_user, dry_run=dry_run)

    def show(**preview):
        return render("plants/index.html", "plants/_import.html",
                      **_context(experiment_id, **preview))

    def imported(result):
        target = url_for("plants.index", experiment_id=experiment_id)
        if wants_fragment():  # the whole list changed: load the page again
            flash(f"Imported {result.created} plants.", "success")
            return "", 204, {"HX-Redirect": target}
        return respond(fragment=None, redirect_to=target,
                       flash_message=f"Imported {result.created} plants.")

    return csv_import_write(run, show=show, imported=imported)
