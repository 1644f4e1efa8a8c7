"""On a phone: capture the baseline of 3 plants with "Save and next", auto-place, start."""

import pytest
from sqlalchemy.orm import Session

from growapp.models import Experiment, User
from growapp.services import plants, recipes, tents, trays
from tests.helpers import factories as f
from tests.helpers.browser import sign_in, small_targets

pytestmark = pytest.mark.browser


def _draft(app) -> int:
    with Session(app.extensions["growapp_db"].engine) as s:
        actor = s.query(User).filter_by(email="operator@example.com").one()
        exp = Experiment(name="Baseline then start", short_name="BTS")
        s.add(exp)
        s.flush()
        plants.add_plants(s, experiment_id=exp.id, actor=actor,
                          species_id=f.species(s).id, quantity=3)
        tent = tents.create_tent(s, experiment_id=exp.id, actor=actor, name="T",
                                 layout=tents.uniform_layout(1, 2))
        for i, name in enumerate(("Control", "Feed")):
            recipe = recipes.create_recipe(s, experiment_id=exp.id, actor=actor, name=name)
            trays.create_tray(s, experiment_id=exp.id, actor=actor, capacity=2,
                              slot_id=tent.slots[i].id, recipe_id=recipe.id)
        s.commit()
        return exp.id


def test_baseline_auto_place_and_start(page, live_server):
    base, app = live_server
    exp_id = _draft(app)
    sign_in(page, base, "operator", f"/experiments/{exp_id}/baseline")
    assert "0 / 3" in page.locator(".progress-text").inner_text()
    for n, code in enumerate(("VFT-001", "VFT-002", "VFT-003"), start=1):
        card = page.locator(".baseline-card")
        assert code in card.locator("h2").inner_text()
        card.get_by_label("Leaves").fill(str(5 + n))
        card.get_by_role("group", name="Vigour *").get_by_role("radio", name="3").check()
        card.get_by_role("radio", name="red", exact=True).check()
        card.get_by_role("radio", name="A", exact=True).check()
        assert small_targets(page) == []
        page.get_by_role("button", name="Save and next").tap()
        page.get_by_text(f"Saved baseline of {code}.").wait_for()
        assert f"{n} / 3" in page.locator(".progress-text").inner_text()
    assert page.get_by_text("Baseline complete").is_visible()

    page.goto(f"{base}/experiments/{exp_id}/placement")
    page.get_by_role("button", name="Preview").tap()
    page.locator("#auto-preview").wait_for()
    assert "3</strong> plants would be placed" in page.locator("#auto-preview").inner_html()
    page.get_by_role("button", name="Apply: place 3 plants").tap()
    page.get_by_text("Placed 3 plants").wait_for()
    assert page.locator("#unplaced").count() == 0

    page.goto(f"{base}/experiments/{exp_id}/overview")
    page.get_by_text("Start experiment…").tap()
    assert page.locator(".freeze-list").is_visible()
    page.get_by_role("button", name="Yes, start Baseline then start").tap()
    page.get_by_text("Baseline then start is running.").wait_for()
    assert page.locator("#experiment-status .chip-running").count() == 1
    assert page.locator(".chip-filter", has_text="Needs placement").count() == 0
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.console_errors == []


def test_chip_filter_updates_url_and_survives_reload(page, live_server):
    base, app = live_server
    exp_id = _draft(app)
    sign_in(page, base, "viewer", f"/experiments/{exp_id}/overview")
    page.locator(".chip-filter", has_text="Needs grade").tap()
    page.wait_for_url(f"{base}/experiments/{exp_id}/overview?filter=needs_grade")
    assert page.locator(".chip-filter[aria-current=true]").inner_text().startswith("Needs grade")
    page.reload()
    assert page.locator(".chip-filter[aria-current=true]").inner_text().startswith("Needs grade")
    page.locator("#roster-q").fill("002")
    page.wait_for_url(f"{base}/experiments/{exp_id}/overview?*q=002*")
    assert page.locator("#roster .plant-link").count() == 1
    page.go_back()
    page.wait_for_url(f"{base}/experiments/{exp_id}/overview?filter=needs_grade")
    page.locator("#roster .plant-link").nth(2).wait_for()
