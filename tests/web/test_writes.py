"""The one write path for pages (growapp/web/writes.py): one commit, every DomainError by
its own status, no half writes, idempotency keys, form errors, previews."""

from __future__ import annotations

import pytest
from flask_login import login_user
from flask_wtf import FlaskForm
from sqlalchemy import event, func, select
from wtforms import StringField
from wtforms.validators import DataRequired

from growapp.extensions import db
from growapp.models import Experiment
from growapp.services.errors import (
    Conflict,
    DomainError,
    Forbidden,
    Invalid,
    NotFound,
    RateLimited,
)
from growapp.web.writes import page_write, respond
from tests.helpers import factories as f


class NameForm(FlaskForm):
    class Meta:
        csrf = False

    name = StringField(validators=[DataRequired()])


@pytest.fixture
def operator(session):
    user = f.make_user(session, "operator")
    session.commit()
    return user


@pytest.fixture
def post(app, connection, operator):
    """post(data) → a POST request context with the operator signed in."""

    def _post(data: dict | None = None, headers: dict | None = None):
        ctx = app.test_request_context("/somewhere", method="POST", data=data or {},
                                       headers=headers or {})
        ctx.push()
        login_user(operator)
        return ctx

    contexts = []
    yield lambda *a, **kw: contexts.append(_post(*a, **kw)) or contexts[-1]
    for ctx in reversed(contexts):
        ctx.pop()


def _trials(session, name: str) -> int:
    return session.scalar(select(func.count(Experiment.id)).where(Experiment.name == name))


def _create(name: str, fail: DomainError | None = None):
    """A service-like action: writes a row, then maybe refuses (a would-be half write)."""
    def action():
        exp = f.make_experiment(db.session, name=name)
        if fail is not None:
            raise fail
        return exp
    return action


def _commits() -> list:
    seen: list = []
    event.listen(db.session, "after_commit", lambda _s: seen.append(1))
    return seen


def test_success_commits_once_and_answers_done(post, session):
    post()
    commits = _commits()
    resp = page_write(_create("One commit"), done=lambda exp: (f"made {exp.name}", 201))
    assert (resp.status_code, resp.get_data(as_text=True)) == (201, "made One commit")
    assert len(commits) == 1
    assert _trials(session, "One commit") == 1


@pytest.mark.parametrize("exc, status", [
    (Invalid("Bad.", {"name": ["Too long."]}), 422), (Conflict("Tray TR1 is full (6/6)."), 409),
    (Forbidden("Not yours."), 403), (NotFound("No such plant."), 404),
    (RateLimited("Wait."), 429)])
def test_domain_errors_answer_their_own_status_and_write_nothing(post, session, exc, status):
    post()
    commits = _commits()
    resp = page_write(_create(f"Refused {status}", exc), done=lambda _e: "never",
                      problem=lambda e: f"problem: {e.detail}")
    assert resp.status_code == status
    assert resp.get_data(as_text=True) == f"problem: {exc.detail}"
    assert commits == [] and _trials(session, f"Refused {status}") == 0  # no half write


def test_without_a_problem_renderer_the_app_handler_answers(post, session):
    post()
    with pytest.raises(Conflict):
        page_write(_create("Raised", Conflict("No.")), done=lambda _e: "never")
    assert _trials(session, "Raised") == 0


def test_an_invalid_form_never_reaches_the_service(post):
    post({"name": ""})
    called = []
    form = NameForm()
    resp = page_write(lambda: called.append(1), form=form, done=lambda _r: "never",
                      problem=lambda e: f"{sorted(e.errors)}")
    assert resp.status_code == 422 and called == []
    assert resp.get_data(as_text=True) == "['name']"


def test_service_errors_land_on_the_form(post):
    post({"name": "Tent A"})
    form = NameForm()
    page_write(_create("x", Invalid(errors={"name": ["Taken."], "other": ["Odd."]})),
               form=form, done=lambda _r: "", problem=lambda _e: "")
    assert form.name.errors == ["Taken."] and form.form_errors == ["Odd."]
    form = NameForm()
    resp = page_write(_create("y", Conflict("The experiment is running.")), form=form,
                      done=lambda _r: "", problem=lambda _e: "")
    assert resp.status_code == 409 and form.form_errors == ["The experiment is running."]


def test_an_idempotency_key_runs_the_write_once(post, session):
    calls = []

    def action():
        calls.append(1)
        return _create(f"Tap {len(calls)}")()

    post({"idempotency_key": "k-1", "amount": "5"})
    first = page_write(action, done=lambda exp: f"made {exp.name}")
    post({"idempotency_key": "k-1", "amount": "5"})  # the double tap
    second = page_write(action, done=lambda exp: f"made {exp.name}")
    assert calls == [1]
    assert second.get_data(as_text=True) == first.get_data(as_text=True) == "made Tap 1"
    assert second.headers["Idempotent-Replayed"] == "true"
    assert _trials(session, "Tap 1") == 1

    post({"idempotency_key": "k-1", "amount": "6"})  # the same key for another write
    with pytest.raises(Invalid):
        page_write(action, done=lambda exp: "")


def test_a_refused_write_is_not_remembered_so_a_retry_runs_again(post, session):
    post({"idempotency_key": "k-2"})
    resp = page_write(_create("Retry", Conflict("Busy.")), done=lambda _e: "",
                      problem=lambda _e: "busy")
    assert resp.status_code == 409
    post({"idempotency_key": "k-2"})
    resp = page_write(_create("Retry"), done=lambda _e: "ok")
    assert resp.status_code == 200 and _trials(session, "Retry") == 1


def test_dry_run_answers_then_rolls_back(post, session):
    post()
    resp = page_write(_create("Preview only"), done=lambda exp: exp.name, dry_run=True)
    assert resp.get_data(as_text=True) == "Preview only"
    assert _trials(session, "Preview only") == 0


def test_commit_on_error_keeps_what_was_recorded(post, session):
    post()
    resp = page_write(_create("Failure record", Invalid("Wrong password.")),
                      done=lambda _e: "", problem=lambda _e: "no", commit_on_error=True)
    assert resp.status_code == 422 and _trials(session, "Failure record") == 1


def test_respond_redirects_plain_posts_and_renders_fragments_for_htmx(app, post):
    post()
    resp = respond(fragment="errors/_problem.html", redirect_to="/next", flash_message="Saved.",
                   status=200, detail="d", errors={}, diagnostics={})
    assert resp.status_code == 303 and resp.location == "/next"
    post(headers={"HX-Request": "true"})
    html = respond(fragment="errors/_problem.html", redirect_to="/next", status=409,
                   detail="Tray TR1 is full (6/6).", errors={}, diagnostics={})
    assert "Tray TR1 is full (6/6)." in html and "<html" not in html
