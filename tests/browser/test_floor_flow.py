"""On the tent floor with a phone: scan a label signed out, sign in, feed, see it logged;
work through the feeding queue for one tray."""

import pytest
from sqlalchemy.orm import Session

from growapp.models import Experiment, User, utcnow
from growapp.services import experiments, metrics, placement, plants, recipes, tents, trays
from tests.helpers import factories as f
from tests.helpers.browser import PASSWORD, small_targets

pytestmark = pytest.mark.browser


def _running(app, name: str) -> tuple[int, list[str]]:
    with Session(app.extensions["growapp_db"].engine) as s:
        actor = s.query(User).filter_by(email="operator@example.com").one()
        exp = Experiment(name=name, short_name=name[:20])
        s.add(exp)
        s.flush()
        made = plants.add_plants(s, experiment_id=exp.id, actor=actor,
                                 species_id=f.species(s).id, quantity=4, grade="A")
        tent = tents.create_tent(s, experiment_id=exp.id, actor=actor, name="T",
                                 layout=tents.uniform_layout(1, 2))
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
        exp.started_at = utcnow()
        s.commit()
        return exp.id, [str(p.uuid) for p in made]


def test_scan_sign_in_feed_and_see_it_logged(page, live_server):
    base, app = live_server
    _exp_id, uuids = _running(app, "Scan and feed")
    page.goto(f"{base}/p/{uuids[0]}")
    assert "/login" in page.url
    page.get_by_label("Email").fill("operator@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").tap()
    page.wait_for_url(f"{base}/p/{uuids[0]}")
    assert page.locator("#plant-bar .plant-code-big").inner_text() == "VFT-001"
    assert "Feed — never fed" in page.locator(".next-actions").inner_text()
    assert small_targets(page) == []
    page.get_by_role("button", name="Fed", exact=True).tap()
    page.locator("#flash .toast", has_text="Fed.").wait_for()
    activity = page.locator("#plant-activity")
    assert "Fed R0 (lot L-01), 50 ml" in activity.inner_text()
    assert "Feed — never fed" not in page.locator("#cockpit").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.console_errors == []


def test_feeding_queue_for_one_tray(page, live_server):
    base, app = live_server
    exp_id, _uuids = _running(app, "Queue tray")
    page.goto(f"{base}/login?next=/experiments/{exp_id}/feeding")
    page.get_by_label("Email").fill("operator@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").tap()
    page.wait_for_url(f"{base}/experiments/{exp_id}/feeding")
    assert page.locator("#feeding-remaining").inner_text() == "4"
    first_tray = page.locator(".feed-tray").first
    first_tray.locator(".placed-list button").first.tap()
    page.locator("#flash .toast", has_text="Fed VFT-001.").wait_for()
    assert page.locator("#feeding-remaining").inner_text() == "3"
    page.locator(".feed-tray").first.get_by_role("button").first.tap()  # "Feed tray TR1"
    # VFT-001 was fed seconds ago: the tray feed asks first, in place
    page.get_by_text("Tray TR1: fed just now by").wait_for()
    page.get_by_role("button", name="Feed again").tap()
    page.locator("#flash .toast", has_text="Fed 2 plants.").wait_for()
    assert page.locator("#feeding-remaining").inner_text() == "2"
    assert page.locator(".feed-tray").count() == 1
    page.locator("#flash .toast", has_text="Fed 2 plants.").get_by_role("button",
                                                                        name="Undo").tap()
    # the queue comes back when the undo's answer is swapped in: wait for that, not for
    # "networkidle" (a page state reached long ago, so it returned before the answer)
    page.locator("#feeding-remaining", has_text="3").wait_for()
    assert page.locator(".feed-tray").count() == 2
    # the "feed again?" answer is a 409 by design; Chromium logs every 4xx resource
    assert [e for e in page.console_errors if "409 (CONFLICT)" not in e] == []


def test_upload_a_photo_and_see_its_thumbnail(page, live_server, tmp_path):
    from PIL import Image

    base, app = live_server
    _exp_id, uuids = _running(app, "Photo round")
    photo = tmp_path / "leaf.jpg"
    Image.new("RGB", (640, 480), (40, 140, 60)).save(photo, "JPEG")
    page.goto(f"{base}/login?next=/p/{uuids[1]}")
    page.get_by_label("Email").fill("operator@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").tap()
    page.wait_for_url(f"{base}/p/{uuids[1]}")
    page.locator("summary", has_text="Photo").tap()
    page.locator("#photo-file").set_input_files(str(photo))
    page.get_by_label("Caption").fill("first leaf")
    page.get_by_role("button", name="Upload photo").tap()
    thumb = page.locator("#plant-photos img").first
    thumb.wait_for()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0",
                           arg=thumb.element_handle())
    assert thumb.evaluate("img => img.naturalWidth") == 320
    assert thumb.get_attribute("alt") == "first leaf"
    assert "Photo of VFT-002" in page.locator("#plant-activity").inner_text()
    assert page.console_errors == []
