"""On a phone: a 1–5 score is a row of big tap targets; start asks first and lists what
freezes; bulk grading with one tap per plant."""

import pytest
from sqlalchemy.orm import Session

from growapp.models import Experiment, User
from growapp.services import plants, recipes, tents, trays
from tests.helpers import factories as f
from tests.helpers.browser import sign_in, small_targets

pytestmark = pytest.mark.browser


def _draft(app, name: str) -> int:
    with Session(app.extensions["growapp_db"].engine) as s:
        actor = s.query(User).filter_by(email="operator@example.com").one()
        exp = Experiment(name=name, short_name=name[:8])
        s.add(exp)
        s.flush()
        plants.add_plants(s, experiment_id=exp.id, actor=actor,
                          species_id=f.species(s).id, quantity=2)
        tent = tents.create_tent(s, experiment_id=exp.id, actor=actor, name="T",
                                 layout=tents.uniform_layout(1, 1))
        recipe = recipes.create_recipe(s, experiment_id=exp.id, actor=actor, name="Control")
        tray = trays.create_tray(s, experiment_id=exp.id, actor=actor, capacity=2,
                                 slot_id=tent.slots[0].id, recipe_id=recipe.id)
        for p in plants.list_plants(s, experiment_id=exp.id)[1]:
            from growapp.services.placement import place_plant

            place_plant(s, tray_id=tray.id, plant_uuid=p.uuid, actor=actor)
        s.commit()
        return exp.id


def test_vigour_is_tapped_and_grades_in_bulk(page, live_server):
    base, app = live_server
    exp_id = _draft(app, "Tap targets")
    sign_in(page, base, "operator", f"/experiments/{exp_id}/baseline")
    card = page.locator(".baseline-card")
    vigour = card.get_by_role("group", name="Vigour *")
    segments = vigour.locator("label.choice")
    assert segments.count() == 5 and vigour.locator("input[type=number]").count() == 0
    boxes = [segments.nth(i).bounding_box() for i in range(5)]
    assert all(b["height"] >= 44 and b["width"] >= 44 for b in boxes), boxes
    assert len({round(b["y"]) for b in boxes}) == 1  # one row of segments
    segments.nth(3).tap()
    assert vigour.locator("input:checked").get_attribute("value") == "4"
    segments.nth(1).tap()
    assert vigour.locator("input:checked").get_attribute("value") == "2"
    assert small_targets(page) == []
    page.screenshot(path="/tmp/desk/baseline-light.png", full_page=True, caret="initial")

    grades = page.locator("#baseline-grades")
    assert grades.locator(".grade-line").count() == 2
    grades.get_by_role("button", name="All B").tap()
    page.get_by_text("Graded 2 plants.").wait_for()
    assert page.locator("#baseline-grades").count() == 0
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.console_errors == []


def test_start_confirmation_lists_what_freezes(page, live_server):
    base, app = live_server
    exp_id = _draft(app, "Confirm first")
    sign_in(page, base, "operator", f"/experiments/{exp_id}/overview")
    page.get_by_text("Start experiment…").tap()
    body = page.locator(".start-confirm-body")
    assert "Starting freezes" in body.inner_text() and "Plant codes" in body.inner_text()
    assert body.locator("[data-blocker=needs_baseline]").is_visible()
    page.screenshot(path="/tmp/desk/start-light.png", full_page=True, caret="initial")
    page.get_by_role("button", name="Yes, start Confirm first").tap()
    page.locator("#start-blockers").wait_for()
    page.locator("#start-blockers").get_by_role("link", name="2 plants need a grade").tap()
    page.wait_for_url(f"{base}/experiments/{exp_id}/baseline")
    with Session(app.extensions["growapp_db"].engine) as s:
        assert s.get(Experiment, exp_id).status == "draft"
