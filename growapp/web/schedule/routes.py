"""The schedule page: rules of recurring work and the plan for the next 14 days."""

from __future__ import annotations

from datetime import date, timedelta

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from ...extensions import db
from ...http.htmx import render, wants_fragment
from ...models import Plant, Tent, Tray
from ...services import experiments as exp_service
from ...services import schedules as schedule_service
from ...services.clock import local_today, zone_of
from ...services.errors import Invalid, NotFound
from ...services.read.readiness import setup_status
from ..writes import page_write, respond
from . import bp
from .forms import ScheduleForm

PLAN_DAYS = 14
OVERDUE_DAYS = 7  # how far back the page looks for work nobody did
STATUS_LABELS = {"due": "Due", "done": "Done", "skipped": "Skipped", "overdue": "Overdue"}
# Service error keys (the API body paths) → fields of ScheduleForm.
FIELD_NAMES = {"rule.kind": "rule_kind", "rule.weekdays": "weekdays",
               "rule.every_days": "every_days", "scope.type": "scope_type", "rule": "rule_kind",
               "scope": "scope_type"}


def _day_label(day: date, today: date) -> str:
    named = {today: "Today", today + timedelta(days=1): "Tomorrow",
             today - timedelta(days=1): "Yesterday"}
    stamp = f"{day:%a} {day.day} {day:%b}"
    return f"{named[day]} · {stamp}" if day in named else stamp


def _plan_view(experiment_id: int, today: date) -> dict:
    """The plan from today, plus work left undone in the last week (overdue only)."""
    result = schedule_service.plan(db.session, experiment_id=experiment_id,
                                   start=today - timedelta(days=OVERDUE_DAYS),
                                   days=OVERDUE_DAYS + PLAN_DAYS, today=today)
    overdue, upcoming = [], []
    for day in result["days"]:
        d = date.fromisoformat(day["date"])
        view = {"date": day["date"], "label": _day_label(d, today), "is_today": d == today,
                "is_past": d < today, "groups": day["groups"]}
        if d < today:
            groups = [{**g, "actions": [a for a in g["actions"] if a["status"] == "overdue"]}
                      for g in day["groups"]]
            view["groups"] = [g for g in groups if g["actions"]]
            if view["groups"]:
                overdue.append(view)
        else:
            upcoming.append(view)
    open_today = sum(1 for g in (upcoming[0]["groups"] if upcoming else [])
                     for a in g["actions"] if a["status"] == "due")
    overdue_count = sum(len(g["actions"]) for d in overdue for g in d["groups"])
    return {"overdue_days": overdue, "plan_days": upcoming, "open_today": open_today,
            "overdue_count": overdue_count}


def _plan_context(experiment_id: int, **extra) -> dict:
    experiment = exp_service.get_experiment(db.session, experiment_id)
    today = local_today(zone_of(db.session))
    return {"experiment": experiment, "today": today, "status_labels": STATUS_LABELS,
            "action_labels": schedule_service.ACTION_LABELS,
            "timeframe_labels": schedule_service.TIMEFRAME_LABELS,
            "can_edit": current_user.has_role("operator"),
            **_plan_view(experiment_id, today), **extra}


def _set_choices(form: ScheduleForm, experiment_id: int) -> None:
    session = db.session
    form.scope_tent_ids.choices = [tuple(r) for r in session.execute(
        select(Tent.id, Tent.code).where(Tent.experiment_id == experiment_id)
        .order_by(Tent.code))]
    form.scope_tray_ids.choices = [tuple(r) for r in session.execute(
        select(Tray.id, Tray.code).where(Tray.experiment_id == experiment_id)
        .order_by(Tray.code))]
    form.scope_plant_ids.choices = [tuple(r) for r in session.execute(
        select(Plant.id, Plant.plant_code)
        .where(Plant.experiment_id == experiment_id, Plant.status == "active")
        .order_by(Plant.plant_code))]


def _context(experiment_id: int, **extra) -> dict:
    session = db.session
    form = extra.pop("form", None)
    if form is None:
        form = ScheduleForm(formdata=None)
        form.start_date.data = local_today(zone_of(session))
    _set_choices(form, experiment_id)
    schedules = schedule_service.schedule_summaries(
        session, schedule_service.list_schedules(session, experiment_id))
    return {**_plan_context(experiment_id, **extra), "form": form, "schedules": schedules,
            "bar_setup": setup_status(session, experiment_id)}


@bp.get("")
def index(experiment_id: int):
    return render("schedule/index.html", "schedule/_panel.html", **_context(experiment_id))


def _done(experiment_id: int, message: str, status: int = 200):
    if wants_fragment():
        return render_template("schedule/_panel.html",
                               **_context(experiment_id, message=message)), status
    flash(message, "success")
    return redirect(url_for("schedule.index", experiment_id=experiment_id), code=303)


def _form_fields(form: ScheduleForm) -> dict:
    kind = form.rule_kind.data or "weekly"
    rule = ({"kind": "weekly", "weekdays": list(form.weekdays.data or [])} if kind == "weekly"
            else {"kind": kind, "every_days": form.every_days.data})
    exact = form.timeframe.data == "exact"
    scope_type = form.scope_type.data
    ids_field = getattr(form, f"scope_{scope_type}_ids", None) \
        if scope_type in schedule_service.SCOPE_TYPES else None
    return {"action_type": form.action_type.data, "title": form.title.data or "",
            "notes": form.notes.data or "", "timeframe": None if exact else form.timeframe.data,
            "exact_time": form.exact_time.data if exact else None, "rule": rule,
            "start_date": form.start_date.data, "end_date": form.end_date.data,
            "scope": {"type": scope_type, "ids": list(ids_field.data or []) if ids_field else []}}


@bp.post("")
def create(experiment_id: int):
    form = ScheduleForm()

    def action():
        fields = _form_fields(form)
        try:
            return schedule_service.create_schedule(
                db.session, experiment_id=experiment_id, actor=current_user, **fields)
        except Invalid as exc:
            names = dict(FIELD_NAMES, **{"scope.ids": f"scope_{fields['scope']['type']}_ids"})
            raise Invalid(exc.detail, {names.get(k, k): v for k, v in exc.errors.items()}) \
                from exc

    def problem(_exc):
        return render("schedule/index.html", "schedule/_panel.html",
                      **_context(experiment_id, form=form))

    return page_write(action, form=form, problem=problem, done=lambda a: _done(
        experiment_id, f"Scheduled {a.title}.", 201))


@bp.post("/<int:schedule_id>/pause")
def pause(experiment_id: int, schedule_id: int):
    return _set_active(experiment_id, schedule_id, False)


@bp.post("/<int:schedule_id>/resume")
def resume(experiment_id: int, schedule_id: int):
    return _set_active(experiment_id, schedule_id, True)


def _own(experiment_id: int, schedule_id: int):
    action = schedule_service.get_schedule(db.session, schedule_id)
    if action.experiment_id != experiment_id:
        raise NotFound(f"Schedule {schedule_id} is not part of this experiment.")
    return action


def _set_active(experiment_id: int, schedule_id: int, active: bool):
    def action():
        _own(experiment_id, schedule_id)
        return schedule_service.update_schedule(db.session, schedule_id=schedule_id,
                                                actor=current_user, is_active=active)

    return page_write(action, done=lambda schedule: _done(
        experiment_id, f"{'Resumed' if active else 'Paused'} {schedule.title}."))


@bp.post("/<int:schedule_id>/delete")
def delete(experiment_id: int, schedule_id: int):
    def action():
        title = _own(experiment_id, schedule_id).title
        schedule_service.delete_schedule(db.session, schedule_id=schedule_id,
                                         actor=current_user)
        return title

    return page_write(action, done=lambda title: _done(experiment_id, f"Deleted {title}."))


@bp.post("/<int:schedule_id>/occurrences")
def mark(experiment_id: int, schedule_id: int):
    """Done / Skip… on one occurrence. HTMX gets the plan back; a plain POST a redirect."""
    day, status = request.form.get("date", ""), request.form.get("status", "")
    reason = request.form.get("reason", "")
    key = f"{schedule_id}:{day}"

    def action():
        schedule = _own(experiment_id, schedule_id)
        completion = schedule_service.mark_occurrence(
            db.session, schedule_id=schedule_id, actor=current_user, date=day or None,
            status=status, reason=reason)
        word = "Done" if completion.status == "done" else "Skipped"
        return f"{word}: {schedule.title} ({day})."

    def problem(exc):
        messages = [m for msgs in getattr(exc, "errors", {}).values() for m in msgs] \
            or [exc.detail]
        extra = {"mark_errors": {key: messages}, "mark_reason": {key: reason}}
        if wants_fragment():
            return render_template("schedule/_plan.html", **_plan_context(experiment_id, **extra))
        return render_template("schedule/index.html", **_context(experiment_id, **extra))

    return page_write(action, problem=problem, done=lambda message: respond(
        fragment="schedule/_plan.html", flash_message=message,
        redirect_to=url_for("schedule.index", experiment_id=experiment_id) + "#schedule-plan",
        **_plan_context(experiment_id, plan_message=message)))
