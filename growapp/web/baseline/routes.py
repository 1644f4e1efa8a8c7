"""Baseline capture: the queue of plants without week 0 or a grade, "Save and next"."""

from __future__ import annotations

from flask import render_template, request, url_for
from flask_login import current_user

from ...extensions import db
from ...http.htmx import render
from ...services import experiments as exp_service
from ...services import grading
from ...services import metrics as metric_service
from ...services.errors import Invalid
from ...services.plants import get_plant
from ...services.read.readiness import setup_status
from ..writes import page_write, respond
from . import bp

FIELD_PREFIX = "m_"
GRADE_PREFIX = "grade-"
# About what a phone shows in two screens: the page then weighs about the same at 5,000
# plants as at 100 (with 100 + 100 lines it was 97 KB there against 42 KB).
GRADE_LIST_MAX = 40  # ungraded plants listed for bulk grading (the next 40 after saving)
QUEUE_PAGE = 40  # plants per page of "Still to do" (the rest load as it is read)


def _at() -> int:
    """Where "Still to do" begins (no JS: its "More" link reloads the page from there)."""
    return min(max(request.args.get("at", 0, type=int), 0), 10**7)


def _context(experiment_id: int, plant_uuid=None, **extra) -> dict:
    session = db.session
    experiment = exp_service.get_experiment(session, experiment_id)
    queue = metric_service.baseline_queue(session, experiment_id, limit=QUEUE_PAGE,
                                          ungraded=GRADE_LIST_MAX, at=_at())
    plant = None
    if plant_uuid:
        plant = get_plant(session, plant_uuid)
        if plant.experiment_id != experiment.id:
            plant = None
    if plant is None and queue.plants:
        plant = queue.plants[0]
    fields = metric_service.template_fields(session, plant.species.category) if plant else []
    existing = metric_service.week_values(session, plant.id, 0) if plant else None
    locked = experiment.status != "draft" and existing is not None
    ctx = {"experiment": experiment, "bar_setup": setup_status(session, experiment_id),
           "queue": queue, "plant": plant, "fields": fields, "values": existing or {},
           "grade": plant.grade if plant else None, "errors": {}, "locked": locked,
           "can_unlock": locked and current_user.has_role("admin"), "prefix": FIELD_PREFIX,
           "ungraded": queue.ungraded,
           "grade_prefix": GRADE_PREFIX}
    ctx.update(extra)
    return ctx


@bp.get("")
def index(experiment_id: int):
    return render_template("baseline/index.html",
                           **_context(experiment_id, request.args.get("plant")))


@bp.get("/queue")
def queue_page(experiment_id: int):
    """The next page of "Still to do", for the sentinel at the end of the previous one."""
    session = db.session
    experiment = exp_service.get_experiment(session, experiment_id)
    queue = metric_service.baseline_queue(session, experiment_id, limit=QUEUE_PAGE, at=_at(),
                                          progress=False)
    return render_template("baseline/_todo_page.html", experiment=experiment, queue=queue)


@bp.post("/<uuid:plant_uuid>")
def save(experiment_id: int, plant_uuid):
    # A checkbox sends a hidden "false" then "true" when ticked: the last value wins.
    values = {k.removeprefix(FIELD_PREFIX): request.form.getlist(k)[-1] for k in request.form
              if k.startswith(FIELD_PREFIX)}
    grade = request.form.get("grade") or None

    def action():
        session = db.session
        plant = get_plant(session, plant_uuid)
        metric_service.record_metrics(session, plant_uuid=plant_uuid, week_number=0,
                                      values=values, grade=grade, actor=current_user,
                                      reason=request.form.get("reason"))
        if grade is None and plant.grade is None:
            raise Invalid("Give the plant a grade too.", {"grade": ["Choose A, B or C."]})
        return f"Saved baseline of {plant.plant_code}."

    return page_write(action, done=lambda message: respond(
        fragment="baseline/_panel.html", flash_message=message,
        redirect_to=url_for("baseline.index", experiment_id=experiment_id),
        **_context(experiment_id, message=message, oob=True)),
        problem=lambda exc: render("baseline/index.html", "baseline/_panel.html", **_context(
            experiment_id, plant_uuid, values=values, grade=grade,
            errors=getattr(exc, "errors", {}), problem=exc.detail)))


@bp.post("/grades")
def grade_many(experiment_id: int):
    """Bulk grading: a grade per listed plant, or one grade for every listed plant."""
    listed = request.form.getlist("plant")
    everyone = request.form.get("all")
    grades = {u: everyone for u in listed} if everyone else {
        k.removeprefix(GRADE_PREFIX): v for k, v in request.form.items()
        if k.startswith(GRADE_PREFIX) and v}

    def action():
        graded = grading.grade_plants(db.session, experiment_id=experiment_id,
                                      grades=grades, actor=current_user)
        return f"Graded {len(graded)} plant{'s' if len(graded) != 1 else ''}."

    return page_write(action, done=lambda message: respond(
        fragment="baseline/_panel.html", flash_message=message,
        redirect_to=url_for("baseline.index", experiment_id=experiment_id),
        **_context(experiment_id, message=message)),
        problem=lambda exc: render("baseline/index.html", "baseline/_panel.html", **_context(
            experiment_id, grade_problem=exc.detail,
            grade_errors=(getattr(exc, "errors", {}) or {}).get("grades", []))))
