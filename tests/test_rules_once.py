"""Each rule written once: the service's limit is the one the form, the API schema and the
template use; the API's declared role is what the gate enforces."""

from __future__ import annotations

import typing

from wtforms.validators import Length, NumberRange

from growapp.api.experiments import ExperimentIn
from growapp.api.floor import AdverseIn, FeedIn
from growapp.api.layout import TrayIn
from growapp.api.schedules import ScheduleIn
from growapp.services import experiments, feeding, observations, trays
from growapp.services.schedules import rules as schedule_rules
from growapp.web.experiments.forms import ExperimentForm
from growapp.web.schedule.forms import ScheduleForm
from growapp.web.templating import LIMITS
from growapp.web.trays.forms import TrayForm


def _max_length(model, field: str) -> int:
    return next(m.max_length for m in model.model_fields[field].metadata
                if hasattr(m, "max_length"))


def _form_validator(form_cls, field: str, kind):
    return next(v for v in form_cls.__dict__[field].kwargs["validators"] if isinstance(v, kind))


def test_experiment_limits_are_the_services(app):
    assert _max_length(ExperimentIn, "name") == experiments.NAME_MAX
    assert _form_validator(ExperimentForm, "name", Length).max == experiments.NAME_MAX
    assert _form_validator(ExperimentForm, "short_name", Length).max == \
        _max_length(ExperimentIn, "short_name") == experiments.SHORT_NAME_MAX
    window = _form_validator(ExperimentForm, "feeding_window_days", NumberRange)
    assert (window.min, window.max) == experiments.FEEDING_WINDOW_DAYS


def test_tray_and_schedule_limits_are_the_services(app):
    assert _form_validator(TrayForm, "capacity", NumberRange).max == trays.MAX_CAPACITY
    assert _form_validator(TrayForm, "code", Length).max == \
        _max_length(TrayIn, "code") == trays.TRAY_CODE_MAX
    assert _form_validator(ScheduleForm, "title", Length).max == \
        _max_length(ScheduleIn, "title") == schedule_rules.TITLE_MAX


def test_enumerations_are_the_services(app):
    assert typing.get_args(AdverseIn.model_fields["kind"].annotation) == \
        observations.ADVERSE_KINDS == LIMITS["ADVERSE_KINDS"]
    assert typing.get_args(FeedIn.model_fields["status"].annotation) == feeding.FEED_STATUSES
    assert LIMITS["SEVERITIES"] == observations.SEVERITIES


def test_templates_render_the_service_lists(app):
    html = app.jinja_env.from_string(
        "{% for k in limits.ADVERSE_KINDS %}{{ k }} {% endfor %}"
        "{{ limits.SKIP_REASON_MAX }}").render()
    assert html == " ".join(observations.ADVERSE_KINDS) + f" {feeding.SKIP_REASON_MAX}"


def test_api_declared_admin_role_is_enforced_by_the_gate(app, login_as):
    view = app.view_functions["api.create_species"]
    assert getattr(view, "growapp_admin", False)
    client = login_as("operator")
    resp = client.post("/api/v1/species", json={"common_name": "X", "category": "flytrap"})
    assert resp.status_code == 403 and resp.json["detail"]


def test_admin_pages_are_marked_once(app, login_as):
    assert getattr(app.blueprints["admin"], "growapp_admin", False)
    client = login_as("operator")
    assert client.get("/admin/users").status_code == 403
