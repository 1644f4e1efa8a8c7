"""A trial lead on a phone: sign in, create an experiment, see it listed."""

import pytest

from tests.helpers.browser import sign_in, small_targets

pytestmark = pytest.mark.browser


def test_sign_in_create_experiment_and_see_it_listed(page, live_server):
    base, _app = live_server
    sign_in(page, base, "operator")
    assert page.get_by_role("heading", name="Experiments").is_visible()
    page.get_by_role("link", name="New experiment").tap()
    page.get_by_label("Name", exact=True).fill("Phone-made trial")
    page.get_by_label("Feeding window (days)").fill("5")
    page.get_by_role("button", name="Create experiment").tap()
    page.wait_for_url(f"{base}/experiments/*/setup")
    assert page.get_by_role("heading", name="Set up Phone-made trial").is_visible()
    assert page.locator("#setup-checklist li").count() == 4
    page.get_by_role("link", name="All experiments").tap()
    page.wait_for_url(f"{base}/")
    row = page.locator(".row-card", has_text="Phone-made trial")
    assert row.is_visible()
    assert "Setup incomplete" in row.inner_text()
    assert small_targets(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.console_errors == []


def test_validation_error_shows_in_place(page, live_server):
    base, _app = live_server
    sign_in(page, base, "operator", "/experiments/new")
    page.get_by_role("button", name="Create experiment").tap()
    error = page.locator(".field-msg .error").first
    error.wait_for()
    assert "required" in error.inner_text()
    assert page.url == f"{base}/experiments/new"


def test_start_refused_shows_readiness_list(page, live_server):
    base, app = live_server
    from sqlalchemy.orm import Session

    from growapp.models import Experiment

    with Session(app.extensions["growapp_db"].engine) as s:
        exp = Experiment(name="Not ready yet", short_name="NRY")
        s.add(exp)
        s.commit()
        exp_id = exp.id
    sign_in(page, base, "operator", f"/experiments/{exp_id}/overview")
    page.get_by_text("Start experiment…").tap()
    page.get_by_role("button", name="Yes, start Not ready yet").tap()
    problem = page.locator("#experiment-status .problem")
    problem.wait_for()
    assert "cannot start yet" in problem.inner_text()
    assert "No trays yet" in problem.inner_text()
    assert page.url.endswith(f"/experiments/{exp_id}/overview")
    problem.get_by_role("link", name="No trays yet").tap()
    page.wait_for_url(f"{base}/experiments/{exp_id}/trays")


def test_signed_out_visitor_goes_to_login_and_back(page, live_server):
    base, _app = live_server
    page.goto(f"{base}/experiments/new")
    assert "/login" in page.url
    page.get_by_label("Email").fill("operator@example.com")
    page.get_by_label("Password").fill("browser-pass-123")
    page.get_by_role("button", name="Sign in").tap()
    page.wait_for_url(f"{base}/experiments/new")
