"""A trial lead sets up an experiment on a phone and sees the checklist turn complete."""

import re

import pytest

from tests.helpers.browser import sign_in, small_targets

pytestmark = pytest.mark.browser


def test_setup_experiment_on_a_phone(page, live_server):
    base, _app = live_server
    sign_in(page, base, "operator", "/experiments/new")
    page.get_by_label("Name", exact=True).fill("Setup on a phone")
    page.get_by_role("button", name="Create experiment").tap()
    page.wait_for_url(re.compile(r".*/experiments/\d+/setup$"))
    exp_url = page.url.rsplit("/", 1)[0]
    assert page.locator("#setup-checklist .check-item.done").count() == 0

    # 6 plants in one form
    page.locator("#setup-plants a").tap()
    species = page.get_by_label("Species", exact=True)
    species.select_option(label="Venus flytrap — Dionaea muscipula")
    page.get_by_label("How many").fill("6")
    page.get_by_role("button", name="Add plants").tap()
    page.locator("#plant-list li").nth(5).wait_for()
    assert page.locator("#setup-count-plants .progress-count").inner_text() == "6"
    assert "VFT-006" in page.locator("#plant-list").inner_text()

    # one tent of 2 × 2
    page.locator("#setup-count-slots").tap()
    page.get_by_label("Name", exact=True).fill("Grow tent")
    page.get_by_label("Shelves", exact=True).fill("2")
    page.get_by_label("Trays per shelf", exact=True).fill("2")
    page.get_by_role("button", name="Add tent").tap()
    page.locator(".tent-card").wait_for()
    assert page.locator(".tent-card .slot").count() == 4
    assert page.locator("#setup-count-slots .progress-count").inner_text() == "4"

    # two recipes: R0 then R1 suggested
    page.locator("#setup-count-recipes").tap()
    page.locator("#recipe-form").get_by_label("Name").fill("Rainwater control")
    page.get_by_role("button", name="Add recipe").tap()
    page.locator("#recipe-list .recipe-card").first.wait_for()
    assert page.locator("#recipe-form input[name=code]").input_value() == "R1"
    page.locator("#recipe-form").get_by_label("Name").fill("Quarter-strength feed")
    page.get_by_role("button", name="Add recipe").tap()
    page.locator("#recipe-list .recipe-card").nth(1).wait_for()

    # two trays, each in a free slot with a recipe
    page.locator("#setup-count-trays").tap()
    for n, recipe in enumerate(("R0 · Rainwater control", "R1 · Quarter-strength feed"), 1):
        form = page.locator("#tray-form")
        form.get_by_label("Capacity").fill("3")
        slot_select = form.get_by_label("Slot")
        slot_select.select_option(index=1)
        form.get_by_label("Recipe").select_option(label=recipe)
        page.get_by_role("button", name="Add tray", exact=True).tap()
        page.get_by_text(f"Tray TR{n} created.").wait_for()
    assert page.locator("#tray-list .tray-card").count() == 2
    # and two more at once, codes continuing
    bulk = page.locator("#tray-bulk-form")
    bulk.get_by_label("How many trays").fill("2")
    bulk.get_by_label("Plants per tray").fill("3")
    page.get_by_role("button", name="Add trays", exact=True).tap()
    page.get_by_text("Added 2 trays: TR3–TR4.").wait_for()
    assert page.locator("#tray-list .tray-card").count() == 4
    assert page.locator("#setup-count-trays .progress-count").inner_text() == "4"
    assert small_targets(page) == []

    page.goto(exp_url + "/setup")
    assert page.locator("#setup-checklist .check-item.done").count() == 4
    assert page.get_by_text("Setup complete.").is_visible()
    page.get_by_role("link", name="Go to the overview").tap()
    page.wait_for_url(exp_url + "/overview")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.console_errors == []
