"""The tent page's sensor setup: lux factor and "no reading" minutes, device topics."""

from __future__ import annotations

from flask import current_app
from flask_login import current_user

from ...extensions import db
from ...http.htmx import render
from ...services.environment import alerts as alert_svc
from ...services.environment import mappings as mapping_svc
from ..writes import page_write
from . import bp
from .forms import MappingForm, SettingsForm
from .routes import _context, _env, _region_done, _region_problem

REGION = "environment/_setup.html"


@bp.get("/setup")
def setup_forms(experiment_id: int, tent_id: int):
    """The setup forms, fetched when their section is opened (the page renders without)."""
    return render("environment/page.html", "environment/_setup_forms.html",
                  **_context(experiment_id, tent_id, setup_open=True))


@bp.post("/settings")
def sensor_settings(experiment_id: int, tent_id: int):
    form = SettingsForm()
    _env(experiment_id, tent_id)

    def action():
        return alert_svc.set_sensor_settings(db.session, tent_id=tent_id,
                                             lux_factor=form.lux_factor.data,
                                             stale_minutes=form.stale_minutes.data,
                                             actor=current_user)

    return page_write(action, form=form, key=None,
                      done=lambda _r: _region_done(experiment_id, tent_id, REGION,
                                                   "Sensor settings saved."),
                      problem=_region_problem(experiment_id, tent_id, REGION,
                                              settings_form=form))


@bp.post("/mappings")
def add_mapping(experiment_id: int, tent_id: int):
    form = MappingForm()
    _env(experiment_id, tent_id)

    def action():
        return mapping_svc.add_mapping(db.session, tent_id=tent_id, kind=form.kind.data,
                                       topic=form.topic.data, quantity=form.quantity.data,
                                       unit=form.unit.data, actor=current_user,
                                       prefix=current_app.config["MQTT_TOPIC_PREFIX"])

    return page_write(action, form=form, key=None,
                      done=lambda m: _region_done(experiment_id, tent_id, REGION,
                                                  f"Mapped {m.topic}."),
                      problem=_region_problem(experiment_id, tent_id, REGION,
                                              mapping_form=form))


@bp.post("/mappings/<int:mapping_id>/delete")
def remove_mapping(experiment_id: int, tent_id: int, mapping_id: int):
    _env(experiment_id, tent_id)
    return page_write(
        lambda: mapping_svc.remove_mapping(db.session, tent_id=tent_id, mapping_id=mapping_id,
                                           actor=current_user),
        key=None, done=lambda _r: _region_done(experiment_id, tent_id, REGION,
                                               "Mapping removed."),
        problem=_region_problem(experiment_id, tent_id, REGION))

