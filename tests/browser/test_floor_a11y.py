"""The floor pages with gloves and in the dark: axe-core finds no serious or critical
violation at 390 px in light and dark; the round can be walked plant by plant; the queue's
links navigate; the undo toast stays its minute; steppers step. Screenshots of the cockpit,
queue and scan page land in tests/browser/artifacts/ for a person to look at."""


import pytest
from sqlalchemy.orm import Session

from growapp.models import Experiment, Tray, User, utcnow
from growapp.services import experiments, metrics, placement, plants, recipes, tents, trays
from tests.helpers import factories as f
from tests.helpers.browser import ARTIFACTS, axe_violations, sign_in

pytestmark = pytest.mark.browser

def _running(app, name: str, quantity: int = 6) -> tuple[int, list[str], list[str]]:
    """Running since 8 days (week 1 due), 3 trays of 2 with a lot each; (exp id, plant
    uuids, tray uuids)."""
    from datetime import timedelta

    with Session(app.extensions["growapp_db"].engine) as s:
        actor = s.query(User).filter_by(email="operator@example.com").one()
        exp = Experiment(name=name, short_name=name[:20])
        s.add(exp)
        s.flush()
        made = plants.add_plants(s, experiment_id=exp.id, actor=actor,
                                 species_id=f.species(s).id, quantity=quantity, grade="A")
        tent = tents.create_tent(s, experiment_id=exp.id, actor=actor, name="T",
                                 layout=tents.uniform_layout(1, 3))
        recipe = recipes.create_recipe(s, experiment_id=exp.id, actor=actor, name="Feed",
                                       volume_ml=50)
        recipes.create_lot(s, experiment_id=exp.id, actor=actor, recipe_id=recipe.id)
        for slot in tent.slots:
            trays.create_tray(s, experiment_id=exp.id, actor=actor, capacity=2,
                              slot_id=slot.id, recipe_id=recipe.id)
        for p in made:
            metrics.record_metrics(s, plant_uuid=p.uuid, week_number=0,
                                   values={"vigour": 3}, actor=actor)
        placement.auto_place(s, experiment_id=exp.id, actor=actor, mode="fill")
        experiments.start_experiment(s, experiment_id=exp.id, actor=actor)
        exp.started_at = utcnow() - timedelta(days=8)
        s.commit()
        tray_uuids = [str(t.uuid) for t in s.query(Tray).filter_by(experiment_id=exp.id)
                      .order_by(Tray.code)]
        return exp.id, sorted((p.plant_code, str(p.uuid)) for p in made), tray_uuids


def _axe(page) -> list[str]:
    return axe_violations(page)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_floor_pages_pass_axe(axe_page, live_server, scheme):
    page = axe_page
    base, app = live_server
    exp_id, codes, tray_uuids = _running(app, f"Axe {scheme}")
    page.emulate_media(color_scheme=scheme)
    sign_in(page, base, "operator", f"/p/{codes[0][1]}")
    pages = {"cockpit": f"/p/{codes[0][1]}", "tray": f"/t/{tray_uuids[0]}",
             "queue": f"/experiments/{exp_id}/feeding",
             "weekly": f"/experiments/{exp_id}/observe",
             "scan": "/scan", "overview": f"/experiments/{exp_id}/overview",
             "setup": f"/experiments/{exp_id}/setup"}
    found = {}
    ARTIFACTS.mkdir(exist_ok=True)
    for name, path in pages.items():
        page.goto(base + path)
        page.wait_for_load_state("networkidle")
        if name in ("cockpit", "queue", "scan", "weekly", "tray"):
            page.screenshot(path=str(ARTIFACTS / f"floor-{name}-{scheme}.png"),
                            full_page=True, caret="initial")
        violations = _axe(page)
        if violations:
            found[name] = violations
    assert found == {}


def test_walk_the_tray_and_queue_links_navigate(page, live_server):
    base, app = live_server
    exp_id, codes, _trays = _running(app, "Walk")
    sign_in(page, base, "operator", f"/experiments/{exp_id}/feeding")
    # a plant link in the queue opens the cockpit as a page, not inside the queue
    page.locator("#feeding-queue a", has_text=codes[0][0]).first.tap()
    page.wait_for_url(lambda u: f"/p/{codes[0][1]}" in u, wait_until="commit")
    page.locator("h1", has_text=codes[0][0]).wait_for()
    assert page.locator(".context-bar").count() == 1
    assert page.locator("footer").count() == 1
    assert page.locator("#feeding-queue").count() == 0
    assert page.locator("h1").inner_text() == codes[0][0]
    # next plant, twice: into the next tray
    page.locator(".plant-walk a[rel=next]").tap()
    page.wait_for_url(lambda u: f"/p/{codes[1][1]}" in u, wait_until="commit")
    page.locator("h1", has_text=codes[1][0]).wait_for()
    page.locator(".plant-walk a[rel=next]").tap()
    page.wait_for_url(lambda u: f"/p/{codes[2][1]}" in u, wait_until="commit")
    page.locator("h1", has_text=codes[2][0]).wait_for()
    assert "1 of 2 in TR2" in page.locator(".plant-walk").inner_text()
    page.locator(".plant-walk a[rel=prev]").tap()
    page.wait_for_url(lambda u: f"/p/{codes[1][1]}" in u, wait_until="commit")
    # Back still returns to the queue it came from
    page.locator("#plant-bar a.back").tap()
    page.wait_for_url(f"**/experiments/{exp_id}/feeding", wait_until="commit")
    page.locator("#feeding-queue").wait_for()
    assert page.console_errors == []


def test_undo_toast_stays_and_counts_down(page, live_server):
    base, app = live_server
    _exp, codes, _t = _running(app, "Undo minute")
    sign_in(page, base, "operator", f"/p/{codes[0][1]}")
    page.get_by_role("button", name="Fed", exact=True).tap()
    toast = page.locator("#flash .toast", has_text="Fed.")
    toast.wait_for()
    first = toast.locator("[data-undo-left]").inner_text()
    page.wait_for_timeout(6500)  # the plain toasts go after 5 s; this one stays
    assert toast.is_visible()
    assert int(toast.locator("[data-undo-left]").inner_text().split()[0]) < int(first.split()[0])
    assert page.console_errors == []


def test_skip_shows_on_the_cockpit_and_steppers_step(page, live_server):
    base, app = live_server
    exp_id, codes, _t = _running(app, "Skip and step")
    sign_in(page, base, "operator", f"/experiments/{exp_id}/feeding")
    row = page.locator(f"#feed-{codes[0][1]}")
    row.locator("summary", has_text="Skip").tap()
    row.get_by_label(f"Why skip {codes[0][0]}?").fill("soil still wet")
    row.get_by_role("button", name="Skip this feed").tap()
    page.locator("#flash .toast", has_text="soil still wet").wait_for()
    assert page.locator(f"#feed-{codes[0][1]}").count() == 0
    page.goto(f"{base}/p/{codes[0][1]}")
    assert "Skipped today" in page.locator("#last-fed").inner_text()
    assert "never fed" not in page.locator("#cockpit").inner_text()
    # the weekly round: Save and next brings the next plant's code into view
    page.goto(f"{base}/experiments/{exp_id}/observe")
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    page.locator(".score-row label", has_text="4").first.tap()
    page.get_by_role("button", name="Save and next").tap()
    page.locator(".alert-success", has_text="Saved week 1").wait_for()
    heading = page.locator("#observe-panel h2.plant-code-big")
    assert heading.evaluate("el => document.activeElement === el")
    box = heading.bounding_box()
    assert 0 <= box["y"] < 844
    assert page.console_errors == []
