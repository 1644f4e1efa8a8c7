"""Experiments list, create, entry redirect, setup checklist, overview, start/stop."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ...extensions import db
from ...http.htmx import render, wants_fragment
from ...services import experiments as exp_service
from ...services.errors import Conflict, Invalid
from ...services.read.overview import FILTERS, roster, tent_map
from ...services.read.readiness import status_summaries, status_summary
from ...services.schedules.plan import due_today_count
from ...services.tents import list_tents
from ...services.trays import list_trays
from ..forms import merge_errors
from . import bp
from .forms import ExperimentForm

PAGE_SIZE = 50


@bp.get("/")
def index():
    session = db.session
    status = request.args.get("status") or None
    if status not in (None, "draft", "running", "stopped"):
        status = None
    page = max(request.args.get("page", 1, type=int), 1)
    total, experiments = exp_service.list_experiments(
        session, status=status, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    summaries = status_summaries(session, [e.id for e in experiments])
    return render("experiments/index.html", "experiments/_list.html",
                  experiments=experiments, summaries=summaries, total=total, page=page,
                  pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1), status_filter=status)


@bp.route("/experiments/new", methods=["GET", "POST"])
def new():
    if not current_user.has_role("operator"):
        abort(403)
    form = ExperimentForm()
    status = 200
    if request.method == "POST":
        if form.validate():
            session = db.session
            try:
                experiment = exp_service.create_experiment(
                    session, actor=current_user, name=form.name.data,
                    description=form.description.data or "",
                    feeding_window_days=form.feeding_window_days.data,
                    short_name=form.short_name.data or "")
            except Invalid as exc:
                session.rollback()
                merge_errors(form, exc)
                status = 422
            else:
                session.commit()
                flash(f"Created {experiment.name}. Next: add plants, tents and recipes.",
                      "success")
                return redirect(url_for("experiments.detail", experiment_id=experiment.id),
                                code=303)
        else:
            status = 422
    return render("experiments/new.html", "experiments/_form.html", status=status, form=form)


@bp.get("/experiments/<int:experiment_id>")
def detail(experiment_id: int):
    """Entry route: setup until the bootstrap is complete, then the overview."""
    session = db.session
    exp_service.get_experiment(session, experiment_id)
    summary = status_summary(session, experiment_id)
    target = "experiments.overview" if summary.setup["complete"] else "experiments.setup"
    return redirect(url_for(target, experiment_id=experiment_id))


@bp.get("/experiments/<int:experiment_id>/setup")
def setup(experiment_id: int):
    session = db.session
    experiment = exp_service.get_experiment(session, experiment_id)
    summary = status_summary(session, experiment_id)
    return render_template("experiments/setup.html", experiment=experiment, summary=summary)


def _overview_context(experiment_id: int, **extra) -> dict:
    session = db.session
    experiment = exp_service.get_experiment(session, experiment_id)
    summary = status_summary(session, experiment_id)
    filter_ = request.args.get("filter") or "active"
    if filter_ not in FILTERS:
        filter_ = "active"
    q = (request.args.get("q") or "").strip()[:100]
    tents = list_tents(session, experiment_id)
    trays = list_trays(session, experiment_id)
    return {"experiment": experiment, "summary": summary, "filter": filter_, "q": q,
            "due_today": due_today_count(session, experiment_id)
            if experiment.status == "running" else None,
            "roster": roster(session, experiment_id, filter_=filter_, q=q, tents=tents,
                             trays=trays),
            "tent_map": tent_map(tents, trays), **extra}


@bp.get("/experiments/<int:experiment_id>/overview")
def overview(experiment_id: int):
    """The hub: readiness chips filter the roster in place; the URL keeps the filter."""
    return render("experiments/overview.html", "experiments/_roster.html",
                  **_overview_context(experiment_id))


def _lifecycle(experiment_id: int, action):
    session = db.session
    try:
        experiment = action(session, experiment_id=experiment_id, actor=current_user)
    except Conflict as exc:
        session.rollback()
        if wants_fragment():
            experiment = exp_service.get_experiment(session, experiment_id)
            summary = status_summary(session, experiment_id)
            return render_template("experiments/_status_panel.html", experiment=experiment,
                                   summary=summary, problem=exc.detail,
                                   problems=summary.problems()), 409
        ctx = _overview_context(experiment_id, problem=exc.detail)
        ctx["problems"] = ctx["summary"].problems()
        return render_template("experiments/overview.html", **ctx), 409
    session.commit()
    verb = {"running": "is running", "stopped": "is stopped"}[experiment.status]
    if wants_fragment():
        summary = status_summary(session, experiment_id)
        return render_template("experiments/_status_panel.html", experiment=experiment,
                               summary=summary, message=f"{experiment.name} {verb}.")
    flash(f"{experiment.name} {verb}.", "success")
    return redirect(url_for("experiments.overview", experiment_id=experiment_id), code=303)


@bp.post("/experiments/<int:experiment_id>/start")
def start(experiment_id: int):
    return _lifecycle(experiment_id, exp_service.start_experiment)


@bp.post("/experiments/<int:experiment_id>/stop")
def stop(experiment_id: int):
    return _lifecycle(experiment_id, exp_service.stop_experiment)
