"""Keeping the list tidy: duplicate an experiment's setup, archive and un-archive (operators),
delete (admins, only trials with nothing recorded)."""

from __future__ import annotations

from flask import render_template, url_for
from flask_login import current_user

from ...extensions import db
from ...services import archive
from ...services.duplicate import duplicate_experiment
from ..writes import page_write, respond
from . import bp
from .forms import DuplicateForm
from .routes import _overview_context


def _overview_problem(experiment_id: int, **extra):
    return lambda exc: render_template("experiments/overview.html", **_overview_context(
        experiment_id, manage_problem=exc.detail, **extra))


@bp.post("/experiments/<int:experiment_id>/duplicate")
def duplicate(experiment_id: int):
    form = DuplicateForm()

    def done(copy):
        return respond(fragment=None, redirect_to=url_for("experiments.detail",
                                                          experiment_id=copy.id),
                       flash_message=f"Created {copy.name} with the same setup.")

    return page_write(lambda: duplicate_experiment(
        db.session, experiment_id=experiment_id, actor=current_user,
        name=(form.name.data or "").strip() or None, include_plants=form.include_plants.data),
        form=form, done=done, problem=_overview_problem(experiment_id, duplicate_form=form))


@bp.post("/experiments/<int:experiment_id>/archive")
def archive_experiment(experiment_id: int):
    return page_write(lambda: archive.archive_experiment(
        db.session, experiment_id=experiment_id, actor=current_user),
        done=lambda e: respond(fragment=None, redirect_to=url_for("experiments.index"),
                               flash_message=f"Archived {e.name}. Find it under Archived."),
        problem=_overview_problem(experiment_id))


@bp.post("/experiments/<int:experiment_id>/unarchive")
def unarchive_experiment(experiment_id: int):
    return page_write(lambda: archive.unarchive_experiment(
        db.session, experiment_id=experiment_id, actor=current_user),
        done=lambda e: respond(fragment=None, redirect_to=url_for(
            "experiments.overview", experiment_id=e.id), flash_message=f"{e.name} is back."),
        problem=_overview_problem(experiment_id))


@bp.post("/experiments/<int:experiment_id>/delete")
def delete_experiment(experiment_id: int):
    return page_write(lambda: archive.delete_experiment(
        db.session, experiment_id=experiment_id, actor=current_user),
        done=lambda _none: respond(fragment=None, redirect_to=url_for("experiments.index"),
                                   flash_message="Experiment deleted.", category="info"),
        problem=_overview_problem(experiment_id))
