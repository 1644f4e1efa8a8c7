"""The tent page: the environment now, 24 h and 7 d charts, manual entry and ranges."""

from __future__ import annotations

from datetime import timedelta

from flask import request, url_for
from flask_login import current_user

from ...extensions import db
from ...http.htmx import render
from ...services import experiments as exp_service
from ...services.clock import zone_of
from ...services.environment import alerts as alert_svc
from ...services.environment import mappings as mapping_svc
from ...services.environment import readings as reading_svc
from ...services.environment.topics import tent_topic
from ...services.environment.units import QUANTITIES, fmt
from ...services.errors import Invalid, NotFound
from ...services.read.environment import tent_environment
from ...services.read.readiness import setup_status
from ..writes import page_write, respond
from . import bp
from .charts import env_chart
from .forms import MappingForm, RangeForm, ReadingForm, SettingsForm


def _env(experiment_id: int, tent_id: int):
    env = tent_environment(db.session, tent_id=tent_id)
    if env.tent.experiment_id != experiment_id:
        raise NotFound(f"No tent with id {tent_id} in this experiment.")
    return env


def _context(experiment_id: int, tent_id: int, **extra) -> dict:
    from flask import current_app

    session = db.session
    env = _env(experiment_id, tent_id)
    zone = zone_of(session)
    charts = []
    for q in env.quantities:
        rng = env.ranges.get(q)
        for label, span in (("24 h", timedelta(hours=24)), ("7 d", timedelta(days=7))):
            start = env.now - span
            chart = env_chart(env.series(q, start), quantity=q,
                              start=start, end=env.now, rng=rng, zone=zone,
                              title=f"{QUANTITIES[q].label}, {label}")
            if chart:
                charts.append(chart)
    return {"experiment": exp_service.get_experiment(session, experiment_id),
            "bar_setup": setup_status(session, experiment_id), "env": env, "charts": charts,
            "quantities": QUANTITIES, "fmt": fmt, "zone": zone,
            "mqtt_topic": tent_topic(env.tent, current_app.config["MQTT_TOPIC_PREFIX"]),
            "form": extra.pop("form", None) or ReadingForm(formdata=None),
            "range_form": extra.pop("range_form", None) or RangeForm(formdata=None),
            "mappings": mapping_svc.list_mappings(session, tent_id=tent_id),
            "settings_form": extra.pop("settings_form", None) or SettingsForm(
                formdata=None, lux_factor=env.lux_factor, stale_minutes=env.stale_minutes),
            "mapping_form": extra.pop("mapping_form", None) or MappingForm(formdata=None),
            **extra}


@bp.get("")
def page(experiment_id: int, tent_id: int):
    return render("environment/page.html", **_context(
        experiment_id, tent_id, setup_open=request.args.get("setup") == "open"))


def _done(experiment_id: int, tent_id: int, message: str):
    url = url_for("environment.page", experiment_id=experiment_id, tent_id=tent_id)
    return respond(fragment="environment/_panel.html", redirect_to=url, flash_message=message,
                   message=message, **_context(experiment_id, tent_id))


def _region_done(experiment_id: int, tent_id: int, fragment: str, message: str):
    """After a write to one region of the page (setup, import): that region for htmx."""
    url = url_for("environment.page", experiment_id=experiment_id, tent_id=tent_id)
    return respond(fragment=fragment, redirect_to=url, flash_message=message,
                   setup_message=message, **_context(experiment_id, tent_id,
                                                     setup_open=True))


def _region_problem(experiment_id: int, tent_id: int, fragment: str, **forms):
    def show(exc):
        return render("environment/page.html", fragment,
                      setup_problem=None if forms else exc.detail,
                      **_context(experiment_id, tent_id, setup_open=True, **forms))
    return show


def _problem(experiment_id: int, tent_id: int, **forms):
    return lambda _exc: render("environment/page.html", "environment/_panel.html",
                               **_context(experiment_id, tent_id, **forms))


@bp.post("/readings")
def add_reading(experiment_id: int, tent_id: int):
    form = ReadingForm()
    _env(experiment_id, tent_id)

    def action():
        try:
            return reading_svc.ingest_readings(
                db.session, tent_id=tent_id, source="manual", actor=current_user,
                items=[{"quantity": form.quantity.data, "value": form.value.data,
                        "unit": form.unit.data or None}])
        except Invalid as exc:  # one reading: "0.value" is the form's "value"
            raise Invalid(errors={k.removeprefix("0."): v for k, v in exc.errors.items()}
                          ) from exc

    def done(result):
        if not result.stored:
            return _done(experiment_id, tent_id, "That reading is already stored.")
        r = result.stored[0]
        q = QUANTITIES[r["quantity"]]
        return _done(experiment_id, tent_id,
                     f"Logged {q.label.lower()} {fmt(q.name, r['value'])} {q.unit}.")

    return page_write(action, form=form, done=done,
                      problem=_problem(experiment_id, tent_id, form=form))


@bp.post("/ranges")
def set_range(experiment_id: int, tent_id: int):
    form = RangeForm()
    _env(experiment_id, tent_id)

    def action():
        return alert_svc.set_range(db.session, tent_id=tent_id, quantity=form.quantity.data,
                                   low=form.low.data, high=form.high.data,
                                   for_minutes=form.for_minutes.data, actor=current_user)

    q = QUANTITIES.get(form.quantity.data or "")
    label = q.label if q else "Range"
    return page_write(action, form=form, key=None,
                      done=lambda r: _done(experiment_id, tent_id, f"{label} range saved."
                                           if r else f"{label} range removed."),
                      problem=_problem(experiment_id, tent_id, range_form=form))
