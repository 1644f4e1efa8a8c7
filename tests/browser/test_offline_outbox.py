"""The tent floor without a signal. A TCP proxy in front of the live server cuts the
connection for real (refused, or the request lands and its answer is lost); the outbox
keeps each tap and sends it when the server answers, and it lands exactly once."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from growapp.models import FeedingLog, Note, Photo, Plant, User
from growapp.services import experiments
from tests.helpers import factories as f
from tests.helpers.browser import eventually, sign_in, small_targets, wait_for_outbox

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

def _experiment(app, plants: int = 2) -> tuple[int, list[str], list[str]]:
    with Session(app.extensions["growapp_db"].engine) as s:
        exp, trays, made, _recipe = f.make_running_experiment(s, plants=plants)
        s.commit()
        return exp.id, [str(p.uuid) for p in made], [str(t.uuid) for t in trays]


def _count(app, model, plant_uuid: str) -> int:
    with Session(app.extensions["growapp_db"].engine) as s:
        return s.scalar(select(func.count(model.id)).join(Plant, Plant.id == model.plant_id)
                        .where(Plant.uuid == uuid.UUID(plant_uuid)))


def _js_errors(page) -> list[str]:
    """Console errors other than the browser's own notes on requests the proxy cut or a
    rule refused (those are the point of these tests)."""
    return [e for e in page.console_errors if not e.startswith("Failed to load resource")
            and "error occurred when fetching the script" not in e]


def _stop(app, exp_id: int) -> None:
    with Session(app.extensions["growapp_db"].engine) as s:
        actor = s.query(User).filter_by(email="operator@example.com").one()
        experiments.stop_experiment(s, experiment_id=exp_id, actor=actor)
        s.commit()


def test_taps_made_while_refused_wait_then_land_once(page, live_server, proxy):
    _base, app = live_server
    _exp_id, uuids, _trays = _experiment(app)
    sign_in(page, proxy.url, next_path=f"/p/{uuids[0]}")
    wait_for_outbox(page, 0, 0)
    proxy.refuse()
    page.get_by_role("button", name="Fed", exact=True).tap()
    wait_for_outbox(page, 1)
    assert "Fed VFT-001" in page.locator("#outbox-here").inner_text()
    page.locator("#flash .toast", has_text="kept on this phone").first.wait_for()
    page.locator("summary", has_text="Note").tap()
    page.locator("#note-text").fill("leaf curl on the new trap")
    page.get_by_role("button", name="Save note").tap()
    wait_for_outbox(page, 2)
    assert _count(app, FeedingLog, uuids[0]) == 0 and _count(app, Note, uuids[0]) == 0

    proxy.pass_through()  # no reload, no online event: the outbox tries again by itself
    wait_for_outbox(page, 0, 0)
    eventually(lambda: _count(app, FeedingLog, uuids[0]), 1)
    eventually(lambda: _count(app, Note, uuids[0]), 1)
    page.locator("#plant-activity", has_text="Fed R1").wait_for()  # the answer was shown
    # the note's form went with the cockpit the feed's answer replaced: its answer is
    # shown all the same
    page.locator("#plant-activity", has_text="leaf curl on the new trap").wait_for()
    assert page.locator("#outbox-here").count() == 0
    assert _js_errors(page) == []


def test_a_tap_whose_answer_was_lost_lands_once(page, live_server, proxy):
    _base, app = live_server
    _exp_id, uuids, _trays = _experiment(app)
    sign_in(page, proxy.url, next_path=f"/p/{uuids[1]}")
    wait_for_outbox(page, 0)
    proxy.drop_answers()
    page.get_by_role("button", name="Fed", exact=True).tap()
    wait_for_outbox(page, 1)
    assert proxy.dropped >= 1
    # it reached the server; the answer did not
    eventually(lambda: _count(app, FeedingLog, uuids[1]), 1)

    proxy.pass_through()
    wait_for_outbox(page, 0, 0)
    eventually(lambda: _count(app, FeedingLog, uuids[1]), 1)  # replayed with the same key: once
    page.locator("#plant-activity", has_text="Fed R1").wait_for()


def test_the_outbox_survives_reload_and_closing_and_pages_open_offline(page, live_server, proxy):
    _base, app = live_server
    _exp_id, uuids, trays = _experiment(app)
    sign_in(page, proxy.url, next_path=f"/t/{trays[0]}")
    assert page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()  # now the worker answers, and keeps a copy of the page
    page.wait_for_function("""async () => navigator.serviceWorker.controller
        && !!(await caches.match(location.href))""")
    proxy.refuse()
    page.get_by_role("button", name=re.compile("Feed whole tray")).tap()
    wait_for_outbox(page, 1)

    page.reload()  # the server is still unreachable: the copy from the last visit
    banner = page.locator("#offline-banner")
    banner.wait_for()
    assert re.search(r"copy of this page from \d\d:\d\d", banner.inner_text())
    wait_for_outbox(page, 1)
    assert "Tray fed TR1" in page.locator("#outbox-here").inner_text()
    assert _count(app, FeedingLog, uuids[0]) == 0

    context = page.context
    page.close()  # the tab is closed; the outbox stays on the phone
    again = context.new_page()
    proxy.pass_through()
    again.goto(f"{proxy.url}/t/{trays[0]}")
    # the page opens with the server's "0"; the outbox then sends the stored tap: wait for
    # the feedings themselves, not for a count that can read 0 before the send
    eventually(lambda: [_count(app, FeedingLog, u) for u in uuids], [1, 1])
    wait_for_outbox(again, 0, 0)
    # made on this page before it was closed: the answer (its undo toast) shows here
    again.locator("#flash .toast[data-undo-seconds]").wait_for()


def test_a_tap_replayed_after_a_reload_shows_on_the_page(page, live_server, proxy):
    """The form a tap was made with is gone (the page was reloaded): when the tap lands,
    the page it was made on shows it without another reload."""
    _base, app = live_server
    _exp_id, uuids, _trays = _experiment(app)
    sign_in(page, proxy.url, next_path=f"/p/{uuids[0]}")
    proxy.refuse_posts()  # pages load, taps cannot be sent
    page.get_by_role("button", name="Fed", exact=True).tap()
    wait_for_outbox(page, 1)
    page.reload()
    wait_for_outbox(page, 1)
    activity = page.locator("#plant-activity")
    assert "Fed R1" not in activity.inner_text()
    proxy.pass_through()
    wait_for_outbox(page, 0, 0)
    eventually(lambda: _count(app, FeedingLog, uuids[0]), 1)
    page.locator("#plant-activity", has_text="Fed R1").wait_for()
    assert page.locator("#outbox-here").count() == 0
    assert _js_errors(page) == []


def test_a_replay_refused_by_a_rule_stays_listed(page, live_server, proxy):
    _base, app = live_server
    exp_id, uuids, _trays = _experiment(app)
    sign_in(page, proxy.url, next_path=f"/p/{uuids[0]}")
    proxy.refuse()
    page.get_by_role("button", name="Fed", exact=True).tap()
    wait_for_outbox(page, 1)
    _stop(app, exp_id)  # meanwhile, someone stops the experiment
    proxy.pass_through()
    wait_for_outbox(page, 0, 1)
    assert _count(app, FeedingLog, uuids[0]) == 0

    page.locator("#outbox").tap()
    panel = page.locator("#outbox-panel")
    panel.wait_for()
    item = panel.locator(".outbox-item.refused")
    text = item.inner_text()
    assert "Fed" in text and "VFT-001" in text and re.search(r"\d\d:\d\d", text)
    assert "Refused: Feeding is possible only while the experiment is running" in text
    assert small_targets(page) == []
    sizes = page.evaluate("""() => [...document.querySelectorAll(
        '#outbox-panel button:not([hidden]), #outbox-panel a')]
        .map(el => el.getBoundingClientRect().height)""")
    assert sizes and min(sizes) >= 44
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "outbox-panel-light.png"), caret="initial")
    page.emulate_media(color_scheme="dark")
    page.screenshot(path=str(ARTIFACTS / "outbox-panel-dark.png"), caret="initial")
    page.emulate_media(color_scheme="light")

    page.reload()  # still listed after a reload, until the operator dismisses it
    wait_for_outbox(page, 0, 1)
    page.locator("#outbox").tap()
    page.locator("#outbox-panel").get_by_role("button", name="Dismiss").tap()
    wait_for_outbox(page, 0, 0)
    assert page.locator("#outbox-panel .outbox-item").count() == 0
    assert _js_errors(page) == []


def test_a_photo_queued_offline_lands(page, live_server, proxy, tmp_path):
    from PIL import Image

    _base, app = live_server
    _exp_id, uuids, _trays = _experiment(app)
    photo = tmp_path / "leaf.jpg"
    Image.new("RGB", (640, 480), (40, 140, 60)).save(photo, "JPEG")
    huge = tmp_path / "huge.jpg"
    huge.write_bytes(b"\xff\xd8" + b"\0" * (app.config["MAX_CONTENT_LENGTH"] + 1024))
    sign_in(page, proxy.url, next_path=f"/p/{uuids[0]}")
    proxy.refuse()
    page.locator("summary", has_text="Photo").tap()
    page.locator("#photo-file").set_input_files(str(huge))
    page.get_by_role("button", name="Upload photo").tap()
    page.locator("#flash .toast", has_text="the limit is 16 MB").wait_for()
    wait_for_outbox(page, 0)

    page.locator("#photo-file").set_input_files(str(photo))
    page.get_by_label("Caption").fill("offline leaf")
    page.get_by_role("button", name="Upload photo").tap()
    wait_for_outbox(page, 1)
    assert "Photo VFT-001" in page.locator("#outbox-here").inner_text()
    proxy.pass_through()
    wait_for_outbox(page, 0, 0)
    eventually(lambda: _count(app, Photo, uuids[0]), 1)
    page.locator("#plant-photos img[alt='offline leaf']").wait_for()


def test_feeding_queue_taps_offline_land_once(page, live_server, proxy):
    _base, app = live_server
    exp_id, uuids, _trays = _experiment(app, plants=3)
    sign_in(page, proxy.url, next_path=f"/experiments/{exp_id}/feeding")
    proxy.refuse()
    page.locator(f"#feed-{uuids[0]} button[name=plant_uuid]").tap()
    wait_for_outbox(page, 1)
    page.locator(f"#feed-{uuids[1]} button[name=plant_uuid]").tap()
    wait_for_outbox(page, 2)
    here = page.locator("#outbox-here").inner_text()
    assert "Fed VFT-001" in here and "Fed VFT-002" in here
    proxy.pass_through()
    wait_for_outbox(page, 0, 0)
    eventually(lambda: [_count(app, FeedingLog, u) for u in uuids], [1, 1, 0])
    # the second tap's form went with the queue the first answer replaced; its answer is
    # shown all the same: neither fed plant is listed, the third still is
    page.locator(f"#feed-{uuids[1]}").wait_for(state="detached")
    assert page.locator(f"#feed-{uuids[0]}").count() == 0
    assert page.locator(f"#feed-{uuids[2]}").count() == 1


def test_signing_out_with_waiting_taps_warns_and_clears_cached_pages(page, live_server, proxy):
    _base, app = live_server
    _exp_id, uuids, _trays = _experiment(app)
    sign_in(page, proxy.url, next_path=f"/p/{uuids[0]}")
    page.wait_for_function("async () => !!(await navigator.serviceWorker.ready)")
    page.reload()
    page.wait_for_function("async () => !!(await caches.match(location.href))")
    proxy.refuse_posts()  # pages load, taps cannot be sent
    page.get_by_role("button", name="Fed", exact=True).tap()
    wait_for_outbox(page, 1)
    page.goto(f"{proxy.url}/profile")
    wait_for_outbox(page, 1)
    page.locator("form[data-signout] button").tap()  # not a device's own
    dialog = page.locator("#signout-dialog")
    dialog.wait_for()
    assert "1 tap not sent — send them now?" in dialog.inner_text()
    dialog.get_by_role("button", name="Stay signed in").tap()
    assert "/profile" in page.url

    proxy.pass_through()
    page.locator("form[data-signout] button").tap()  # not a device's own
    dialog.get_by_role("button", name="Send now").tap()
    page.wait_for_url(re.compile(r"/login"))
    eventually(lambda: _count(app, FeedingLog, uuids[0]), 1)
    page.wait_for_function("async () => (await caches.keys()).length === 0")


def test_online_taps_through_the_outbox_on_the_round_and_the_tray_page(page, live_server,
                                                                         proxy):
    """Connected, the outbox is invisible: a boosted plain form (the weekly round's issue)
    lands on the page it redirects to, the tray page's move swaps its panel."""
    from growapp.models import AdverseEvent, RotationLog, Tray

    _base, app = live_server
    exp_id, uuids, trays = _experiment(app)
    sign_in(page, proxy.url, next_path=f"/experiments/{exp_id}/observe")
    page.locator("#observe-panel summary", has_text="Issue").tap()
    page.locator("#observe-panel").get_by_role("button", name="Report").tap()
    page.locator("#flash .toast", has_text="Reported pest.").wait_for()
    assert f"/experiments/{exp_id}/observe" in page.url
    assert page.locator("h1", has_text="Weekly round").count() == 1
    assert _count(app, AdverseEvent, uuids[0]) == 1

    page.goto(f"{proxy.url}/t/{trays[0]}")
    page.locator("summary", has_text="Move TR1").tap()
    page.get_by_role("button", name="Move", exact=True).tap()
    page.locator("#flash .toast", has_text="TR1 moved.").wait_for()
    with Session(app.extensions["growapp_db"].engine) as s:
        assert s.scalar(select(func.count(RotationLog.id)).join(Tray).where(
            Tray.uuid == uuid.UUID(trays[0]))) == 1
    wait_for_outbox(page, 0, 0)
    assert _js_errors(page) == []
