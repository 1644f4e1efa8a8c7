"""A phone on a big trial: the overview roster, the feeding queue and placement show their
first page at once and load the rest as the operator scrolls (htmx ``revealed``); groups
(placement's unplaced, the labels tick list, the baseline's "Still to do") load when
opened and as they are read (``intersect once``); the CSS comes from a hashed, immutable
URL."""

import contextlib

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect
from sqlalchemy.orm import Session

from growapp.models import Experiment, User, utcnow
from growapp.services import experiments, metrics, placement, plants, recipes, tents, trays
from tests.helpers import factories as f
from tests.helpers.browser import ARTIFACTS, sign_in

pytestmark = pytest.mark.browser


def _big_running(app, name: str, n_trays: int = 6, per_tray: int = 50) -> int:
    with Session(app.extensions["growapp_db"].engine) as s:
        actor = s.query(User).filter_by(email="operator@example.com").one()
        exp = Experiment(name=name, short_name=name[:20])
        s.add(exp)
        s.flush()
        made = plants.add_plants(s, experiment_id=exp.id, actor=actor,
                                 species_id=f.species(s).id, quantity=n_trays * per_tray,
                                 grade="A")
        tent = tents.create_tent(s, experiment_id=exp.id, actor=actor, name="Big",
                                 layout=tents.uniform_layout(1, n_trays))
        recipe = recipes.create_recipe(s, experiment_id=exp.id, actor=actor, name="Feed",
                                       volume_ml=50)
        for slot in tent.slots:
            trays.create_tray(s, experiment_id=exp.id, actor=actor, capacity=per_tray,
                              slot_id=slot.id, recipe_id=recipe.id)
        for p in made:
            metrics.record_metrics(s, plant_uuid=p.uuid, week_number=0,
                                   values={"vigour": 3}, actor=actor)
        placement.auto_place(s, experiment_id=exp.id, actor=actor, mode="fill")
        experiments.start_experiment(s, experiment_id=exp.id, actor=actor)
        exp.started_at = utcnow()
        s.commit()
        return exp.id


def test_lazy_parts_load_as_the_phone_scrolls(page, live_server):
    base, app = live_server
    exp_id = _big_running(app, "Lazy big trial")
    sign_in(page, base, "operator", f"/experiments/{exp_id}/overview")
    rows = page.locator("#roster .plant-link")
    first = rows.count()
    assert 0 < first < 300
    assert "300 plants" in page.locator(".roster-meta").inner_text()
    _scroll_until(page, rows, 300)  # each revealed sentinel brings the next page
    assert rows.count() == 300
    assert page.locator(".roster-more").count() == 0
    css = page.evaluate("[...document.styleSheets].map(s => s.href).filter(Boolean)")
    assert any("/static/css/app." in h and h.endswith(".css") and "app.css" not in h
               for h in css)

    page.goto(f"{base}/experiments/{exp_id}/feeding")
    tray_cards = page.locator("#feeding-queue .feed-tray")
    assert 0 < tray_cards.count() < 6
    assert page.locator("#feeding-remaining").inner_text() == "300"
    _scroll_until(page, tray_cards, 6)
    assert tray_cards.count() == 6
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.console_errors == []


def _big_draft(app, name: str, n_trays: int = 6, per_tray: int = 40, unplaced: int = 150):
    """A draft trial: trays filled by auto-place, and more plants waiting to be placed."""
    with Session(app.extensions["growapp_db"].engine) as s:
        actor = s.query(User).filter_by(email="operator@example.com").one()
        exp = Experiment(name=name, short_name=name[:20])
        s.add(exp)
        s.flush()
        sp = f.species(s)
        plants.add_plants(s, experiment_id=exp.id, actor=actor, species_id=sp.id,
                          quantity=n_trays * per_tray, grade="A")
        tent = tents.create_tent(s, experiment_id=exp.id, actor=actor, name="Big",
                                 layout=tents.uniform_layout(1, n_trays))
        recipe = recipes.create_recipe(s, experiment_id=exp.id, actor=actor, name="Feed")
        for slot in tent.slots:
            trays.create_tray(s, experiment_id=exp.id, actor=actor, capacity=per_tray + 1,
                              slot_id=slot.id, recipe_id=recipe.id)
        placement.auto_place(s, experiment_id=exp.id, actor=actor, mode="fill",
                             allow_partial=True)
        plants.add_plants(s, experiment_id=exp.id, actor=actor, species_id=sp.id,
                          quantity=unplaced)
        s.commit()
        return exp.id


def _scroll_until(page, locator, want: int, sentinel: str = ".roster-more") -> None:
    """Scroll each sentinel into view until ``want`` rows are there. A sentinel may be
    swapped out while it is scrolled to (its page arrived): that is progress, not an error."""
    for _ in range(50):
        if locator.count() >= want:
            return
        more = page.locator(sentinel)
        if more.count():
            with contextlib.suppress(PlaywrightError):
                more.last.scroll_into_view_if_needed(timeout=2_000)
        page.wait_for_timeout(300)


def test_placement_loads_trays_as_the_phone_scrolls_and_unplaced_when_opened(page,
                                                                              live_server):
    base, app = live_server
    exp_id = _big_draft(app, "Lazy placement")
    sign_in(page, base, "operator", f"/experiments/{exp_id}/placement")
    cards = page.locator("#placement-trays .tray-card")
    assert 0 < cards.count() < 6
    assert page.locator("#placed-list, .placed-list li").count() < 240
    assert "150" in page.locator("#placement-counts").inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "lazy-placement-light.png"), caret="initial")
    _scroll_until(page, cards, 6, "#placement-trays .roster-more")
    assert cards.count() == 6
    assert page.locator("#placement-trays .roster-more").count() == 0

    # The unplaced group: the first plants inline, more as the opened group is read.
    group = page.locator("#unplaced")
    items = group.locator("#unplaced-list > li:not(.roster-more)")
    group.locator("summary").tap()
    first = items.count()
    assert 0 < first < 150
    _scroll_until(page, items, 150, "#unplaced-list .roster-more")
    assert items.count() == 150

    # Live search narrows trays and unplaced; adding on a later tray swaps its card.
    page.locator("#placement-q").fill("VFT-24")
    page.wait_for_url(f"{base}/experiments/{exp_id}/placement?q=VFT-24")
    page.locator("#placement-list .roster-meta").wait_for()
    assert page.locator("#placement-trays .tray-card").count() == 1  # VFT-240 in TR6
    last = page.locator("#placement-trays .tray-card").first
    last.locator("input[name=plant_code]").fill("VFT-245")
    last.get_by_role("button", name="Add").tap()
    last.get_by_text("Placed.").wait_for()
    assert last.locator("#placed-list, .placed-list li").count() == 2  # VFT-240 and 245
    assert "149" in page.locator("#placement-counts").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.emulate_media(color_scheme="dark")
    page.screenshot(path=str(ARTIFACTS / "lazy-placement-dark.png"), caret="initial")
    assert page.console_errors == []


def test_labels_tick_list_loads_when_opened_and_all_matching_is_every_match(page,
                                                                            live_server):
    from growapp.services.labels.sheet_templates import ensure_label_templates

    base, app = live_server
    with Session(app.extensions["growapp_db"].engine) as s:
        ensure_label_templates(s)
        s.commit()
    exp_id = _big_draft(app, "Lazy labels", n_trays=2, per_tray=100, unplaced=100)
    sign_in(page, base, "operator", f"/experiments/{exp_id}/labels")
    group = page.locator("#labels-pick")
    rows = group.locator("#labels-ticks-list input[name=plant]")
    assert "Tick plants (300)" in group.locator("summary").inner_text()
    assert rows.count() == 0  # nothing listed before the group is opened
    group.locator("summary").tap()
    rows.first.wait_for()
    assert 0 < rows.count() < 300
    _scroll_until(page, rows, 300, "#labels-ticks-list .roster-more")
    assert rows.count() == 300

    # A search narrows the list on the server; ticks made before it stay ticked.
    rows.nth(0).check()  # VFT-001
    page.locator("#labels-q").fill("VFT-01")
    page.locator("#labels-ticked input").first.wait_for()
    assert "Tick plants (10)" in group.locator("summary").inner_text()  # VFT-010…019
    assert page.locator("#labels-ticked input:checked").count() == 1
    page.locator(".labels-summary").wait_for()
    # "All active plants" with the search: every matching plant, not the listed page.
    page.select_option("#labels-plants", "all")
    expect(page.locator(".labels-summary")).to_contain_text("10 labels on 1 sheet")
    page.select_option("#labels-plants", "selected")
    expect(page.locator(".labels-summary")).to_contain_text("1 label on 1 sheet")
    ARTIFACTS.mkdir(exist_ok=True)
    group.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "lazy-labels-light.png"), caret="initial")
    page.emulate_media(color_scheme="dark")
    page.screenshot(path=str(ARTIFACTS / "lazy-labels-dark.png"), caret="initial")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # A preview still in flight when the form changes again is aborted on purpose
    # (hx-sync="this:replace"), and htmx logs that as "htmx:afterRequest"; nothing else.
    assert [e for e in page.console_errors if not e.startswith("htmx:afterRequest")] == []


def test_baseline_still_to_do_loads_as_the_opened_list_is_read(page, live_server):
    base, app = live_server
    with Session(app.extensions["growapp_db"].engine) as s:
        actor = s.query(User).filter_by(email="operator@example.com").one()
        exp = Experiment(name="Lazy baseline", short_name="LB")
        s.add(exp)
        s.flush()
        plants.add_plants(s, experiment_id=exp.id, actor=actor, species_id=f.species(s).id,
                          quantity=260)
        s.commit()
        exp_id = exp.id
    sign_in(page, base, "operator", f"/experiments/{exp_id}/baseline")
    assert "0 / 260" in page.locator(".progress-text").inner_text()
    todo = page.locator("#baseline-todo")
    links = todo.locator("#baseline-todo-list > li:not(.roster-more) a")
    assert "Still to do (260)" in todo.locator("summary").inner_text()
    first = links.count()
    assert 0 < first < 260
    assert page.locator("#baseline-grades .grade-line").count() <= 100
    todo.locator("summary").tap()
    _scroll_until(page, links, 260, "#baseline-todo-list .roster-more")
    assert links.count() == 260
    links.nth(200).tap()  # pick a plant far down the queue
    page.wait_for_url(f"{base}/experiments/{exp_id}/baseline?plant=*")
    assert page.locator(".baseline-card h2").inner_text() == "VFT-201"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "lazy-baseline-light.png"), caret="initial")
    page.emulate_media(color_scheme="dark")
    page.screenshot(path=str(ARTIFACTS / "lazy-baseline-dark.png"), caret="initial")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.console_errors == []
