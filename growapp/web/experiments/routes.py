"""Experiments list, create, entry redirect, setup checklist, overview, start/stop."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import abort, redirect, render_template, request, url_for
from flask_login import current_user

from ...extensions import db
from ...http.htmx import render, wants_fragment
from ...services import experiments as exp_service
from ...services.read.overview import FILTERS, roster, tent_map
from ...services.read.readiness import status_summaries, status_summary
from ...services.schedules.plan import due_today_count
from ...services.tents import list_tents
from ...services.trays import list_trays
from ..writes import page_write, respond
from . import bp
from .forms import ExperimentForm

PAGE_SIZE = 50


@bp.get("/")
def index():
    session = db.session
    status = request.args.get("status") or None
    if status not in (None, "draft", "running", "stopped"):
        status = None
    archived = request.args.get("archived") == "1"
    page = max(request.args.get("page", 1, type=int), 1)
    total, experiments = exp_service.list_experiments(
        session, status=status, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE,
        archived=archived)
    summaries = status_summaries(session, [e.id for e in experiments])
    return render("experiments/index.html", "experiments/_list.html",
                  experiments=experiments, summaries=summaries, total=total, page=page,
                  pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1), status_filter=status,
                  archived=archived)


@bp.route("/experiments/new", methods=["GET", "POST"])
def new():
    if not current_user.has_role("operator"):
        abort(403)
    form = ExperimentForm()

    def show():
        return render("experiments/new.html", "experiments/_form.html", form=form)

    if request.method != "POST":
        return show()

    def done(experiment):
        return respond(fragment=None, redirect_to=url_for(
            "experiments.detail", experiment_id=experiment.id),
            flash_message=f"Created {experiment.name}. Next: add plants, tents and recipes.")

    return page_write(lambda: exp_service.create_experiment(
        db.session, actor=current_user, name=form.name.data,
        description=form.description.data or "",
        feeding_window_days=form.feeding_window_days.data,
        short_name=form.short_name.data or ""), form=form, done=done,
        problem=lambda _exc: show())


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


def _roster_args() -> tuple[str, str, int]:
    filter_ = request.args.get("filter") or "active"
    if filter_ not in FILTERS:
        filter_ = "active"
    q = (request.args.get("q") or "").strip()[:100]
    at = min(max(request.args.get("at", 0, type=int), 0), 10**7)
    return filter_, q, at


def _overview_context(experiment_id: int, **extra) -> dict:
    session = db.session
    experiment = exp_service.get_experiment(session, experiment_id)
    summary = status_summary(session, experiment_id)
    filter_, q, at = _roster_args()
    tents = list_tents(session, experiment_id)
    trays = list_trays(session, experiment_id)
    return {"experiment": experiment, "summary": summary, "filter": filter_, "q": q,
            "due_today": due_today_count(session, experiment_id)
            if experiment.status == "running" else None,
            "roster": roster(session, experiment_id, filter_=filter_, q=q, tents=tents,
                             trays=trays, at=at),
            "tent_map": tent_map(tents, trays), **extra}


@bp.get("/experiments/<int:experiment_id>/overview")
def overview(experiment_id: int):
    """The hub: readiness chips filter the roster in place; the URL keeps the filter. The
    roster's first page comes with it, the rest as the operator scrolls (roster_page)."""
    return render("experiments/overview.html", "experiments/_roster.html",
                  **_overview_context(experiment_id))


@bp.get("/experiments/<int:experiment_id>/overview/plants")
def roster_page(experiment_id: int):
    """The next page of the roster, for the sentinel at the end of the previous one."""
    session = db.session
    experiment = exp_service.get_experiment(session, experiment_id)
    filter_, q, at = _roster_args()
    page = roster(session, experiment_id, filter_=filter_, q=q, at=at,
                  tents=list_tents(session, experiment_id),
                  trays=list_trays(session, experiment_id))
    return render_template("experiments/_roster_page.html", experiment=experiment,
                           filter=filter_, q=q, roster=page)


def _lifecycle(experiment_id: int, action):
    def panel(**extra):
        session = db.session
        here = urlsplit(request.headers.get("HX-Current-URL", "")).path
        return render_template("experiments/_status_panel.html",
                               experiment=exp_service.get_experiment(session, experiment_id),
                               summary=status_summary(session, experiment_id),
                               bar_endpoint="experiments.setup" if here.endswith("/setup")
                               else "experiments.overview", **extra)

    def done(experiment):
        verb = {"running": "is running", "stopped": "is stopped"}[experiment.status]
        message = f"{experiment.name} {verb}."
        if wants_fragment():
            return panel(message=message)
        return respond(fragment=None, flash_message=message, redirect_to=url_for(
            "experiments.overview", experiment_id=experiment_id))

    def problem(exc):
        if wants_fragment():
            return panel(problem=exc.detail)
        return render_template("experiments/overview.html",
                               **_overview_context(experiment_id, problem=exc.detail))

    return page_write(lambda: action(db.session, experiment_id=experiment_id,
                                     actor=current_user), done=done, problem=problem)


@bp.post("/experiments/<int:experiment_id>/start")
def start(experiment_id: int):
    return _lifecycle(experiment_id, exp_service.start_experiment)


@bp.post("/experiments/<int:experiment_id>/stop")
def stop(experiment_id: int):
    return _lifecycle(experiment_id, exp_service.stop_experiment)
