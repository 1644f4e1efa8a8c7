"""Scanning inside the app with a real (fake) camera: Chromium plays a Y4M clip made from a
printed label's QR code. Camera scanning opens the cockpit, scanner typing opens the plant,
and scan to feed logs once while the label stays in view."""

import uuid

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from growapp.labels import qr_base_url
from growapp.models import Experiment, FeedingLog, Plant, User, utcnow
from growapp.services import experiments, metrics, placement, plants, recipes, tents
from growapp.services import trays as tray_service
from growapp.services.labels import selection
from growapp.services.labels.sheet_templates import ensure_label_templates
from tests.helpers import factories as f
from tests.helpers.browser import (
    ARTIFACTS,
    CHROMIUM_ARGS,
    api_feedings,
    chromium_path,
    eventually,
    sign_in,
    small_targets,
    wait_for_outbox,
)
from tests.helpers.camera import camera_args, label_frame, write_y4m

pytestmark = pytest.mark.browser

SCREENS = ARTIFACTS / "screens"
# Counts what the page does to confirm a scan (vibration, tones). An init script runs in
# the page through the DevTools protocol, so the page's CSP does not apply to it.
RECORD_FEEDBACK = """
window.__buzz = []; window.__tones = 0;
navigator.vibrate = function (p) { window.__buzz.push(p); return true; };
const start = OscillatorNode.prototype.start;
OscillatorNode.prototype.start = function () {
  window.__tones += 1; return start.apply(this, arguments); };
"""


def _running(app, name: str) -> dict:
    """A running trial: 4 plants in 2 trays with recipe R0 and lot L-01."""
    with Session(app.extensions["growapp_db"].engine) as s:
        actor = s.query(User).filter_by(email="operator@example.com").one()
        ensure_label_templates(s)
        exp = Experiment(name=name, short_name=name[:20])
        s.add(exp)
        s.flush()
        made = plants.add_plants(s, experiment_id=exp.id, actor=actor,
                                 species_id=f.species(s).id, quantity=4, grade="A")
        tent = tents.create_tent(s, experiment_id=exp.id, actor=actor, name="T",
                                 layout=tents.uniform_layout(1, 2))
        recipe = recipes.create_recipe(s, experiment_id=exp.id, actor=actor, name="Feed",
                                       volume_ml=50)
        lot = recipes.create_lot(s, experiment_id=exp.id, actor=actor, recipe_id=recipe.id)
        made_trays = [tray_service.create_tray(s, experiment_id=exp.id, actor=actor,
                                               capacity=2, slot_id=slot.id,
                                               recipe_id=recipe.id) for slot in tent.slots]
        for p in made:
            metrics.record_metrics(s, plant_uuid=p.uuid, week_number=0,
                                   values={"vigour": 3}, actor=actor)
        placement.auto_place(s, experiment_id=exp.id, actor=actor, mode="fill")
        experiments.start_experiment(s, experiment_id=exp.id, actor=actor)
        exp.started_at = utcnow()
        s.commit()
        return {"id": exp.id, "plants": [str(p.uuid) for p in made],
                "codes": [p.plant_code for p in made], "trays": [str(t.uuid) for t in made_trays],
                "lot": lot.code}


def _label_url(app, exp_id: int, plant_uuid: str) -> str:
    """The QR address the labels page prints for this plant (PUBLIC_BASE_URL: another host
    than the test server's, as after a move)."""
    with Session(app.extensions["growapp_db"].engine) as s:
        prepared = selection.prepare_labels(
            s, experiment_id=exp_id, base_url=qr_base_url(app.config, "http://unused/"),
            request=selection.LabelRequest(kind="plants", plant_filter="selected",
                                        uuids=[plant_uuid]))
        return prepared.labels[0].qr_url


def _fed(app, plant_uuid: str) -> int:
    with Session(app.extensions["growapp_db"].engine) as s:
        return s.scalar(select(func.count(FeedingLog.id)).join(
            Plant, Plant.id == FeedingLog.plant_id).where(Plant.uuid == uuid.UUID(plant_uuid)))


@pytest.fixture
def camera(chromium, tmp_path):
    """camera(frame, color_scheme=...) → a phone page whose rear camera shows ``frame``."""
    opened = []

    def _open(frame, color_scheme: str = "light"):
        clip = write_y4m(tmp_path / f"camera-{len(opened)}.y4m", frame)
        browser = chromium.browser_type.launch(executable_path=chromium_path(), headless=True,
                                               args=CHROMIUM_ARGS + camera_args(clip))
        context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                      has_touch=True, device_scale_factor=2,
                                      permissions=["camera"], color_scheme=color_scheme)
        context.set_default_timeout(10_000)
        context.add_init_script(RECORD_FEEDBACK)
        pg = context.new_page()
        pg.console_errors = []
        pg.on("console", lambda m: pg.console_errors.append(m.text) if m.type == "error" else None)
        opened.append(browser)
        return pg

    yield _open
    for browser in opened:
        browser.close()


def _screenshot(page, name: str) -> None:
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / f"{name}.png"), full_page=True, caret="initial")


def test_camera_scanning_opens_the_cockpit(camera, live_server):
    base, app = live_server
    trial = _running(app, "Camera scan")
    url = _label_url(app, trial["id"], trial["plants"][1])
    assert url.startswith("https://growapp.example.org/p/")  # not this server's host
    page = camera(label_frame(url))
    sign_in(page, base, "operator", "/")
    page.get_by_role("link", name="Scan", exact=True).tap()  # boosted: app.js loads scan.js
    page.wait_for_url(f"{base}/p/{trial['plants'][1]}?from=/scan")
    assert page.locator("#plant-bar .plant-code-big").inner_text() == trial["codes"][1]
    assert page.console_errors == []


def test_scanner_typing_opens_the_plant(page, live_server):
    base, app = live_server
    trial = _running(app, "Scanner typing")
    sign_in(page, base, "operator", "/scan")
    box = page.locator("#scan-q")
    assert page.evaluate("document.activeElement.id") == "scan-q"  # a scanner types here
    page.keyboard.type(f"https://old-host.example/p/{trial['plants'][0]}")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/p/{trial['plants'][0]}?from=/scan")
    page.get_by_role("link", name="Scan", exact=True).tap()
    page.wait_for_url(f"{base}/scan")
    box.wait_for()
    page.wait_for_function("document.activeElement && document.activeElement.id === 'scan-q'")
    page.keyboard.type(trial["codes"][2].lower())  # VFT-003: other trials have one too
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/p/{trial['plants'][2]}?from=/scan")  # the trial worked in last
    assert page.console_errors == []
    page.goto(f"{base}/scan")
    page.keyboard.type("NOT-A-PLANT-9\n")
    assert "No plant has the code NOT-A-PLANT-9." in page.get_by_role("alert").inner_text()


def test_scan_to_feed_logs_once_while_the_label_stays_in_view(camera, live_server):
    base, app = live_server
    trial = _running(app, "Scan to feed")
    plant = trial["plants"][0]
    page = camera(label_frame(_label_url(app, trial["id"], plant)))
    sign_in(page, base, "operator", f"/experiments/{trial['id']}/feeding")
    page.get_by_role("link", name="Scan to feed").tap()
    page.wait_for_url(f"{base}/experiments/{trial['id']}/feeding/scan")
    assert page.locator(".scan-lot select").input_value() != ""  # the newest lot of R0
    page.get_by_role("button", name="Start scanning").tap()
    ok = page.locator("#scan-feed-log .scan-line-ok")
    ok.wait_for()
    assert f"Fed {trial['codes'][0]} (R0, lot {trial['lot']})." in ok.inner_text()
    page.locator("#scan-feed-log .scan-line-again", has_text="already fed").wait_for()
    page.wait_for_timeout(2500)  # the label stays in view: decoded again and again
    assert ok.count() == 1 and _fed(app, plant) == 1
    assert page.evaluate("window.__buzz")[0] == 80 and page.evaluate("window.__tones") >= 2
    page.locator(f"#feed-{plant}").wait_for(state="detached")  # the queue dropped it
    assert ok.count() == 1  # the log survived the queue's refresh
    assert small_targets(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # A tray label typed by a hardware scanner feeds the tray (its two plants).
    code = page.locator("#scan-feed-code")
    code.fill(f"/t/{trial['trays'][1]}")
    code.press("Enter")
    page.locator("#scan-feed-log .scan-line-ok", has_text="Fed tray").wait_for()
    assert sum(_fed(app, p) for p in trial["plants"]) == 3 and _fed(app, plant) == 1
    # typed, it went the same way as the camera's: the earlier lines are still there
    assert ok.count() == 2 and page.locator("#scan-feed-log .scan-line-again").count() >= 1
    page.locator(f"#feed-{trial['plants'][2]}").wait_for(state="detached")
    assert page.console_errors == []


def test_scan_to_feed_offline_waits_in_the_outbox_and_lands_once(camera, live_server, proxy):
    """Scans made while the server cannot be reached wait in the outbox with the key the
    phone made for each scan, and land once when it answers, also after a reload."""
    _base, app = live_server
    trial = _running(app, "Scan offline")
    first, second = trial["plants"][0], trial["plants"][1]
    page = camera(label_frame(_label_url(app, trial["id"], first)))
    path = f"/experiments/{trial['id']}/feeding/scan"
    sign_in(page, proxy.url, "operator", path)
    start = page.get_by_role("button", name="Start scanning")
    start.wait_for()  # scan.js is running
    wait_for_outbox(page, 0, 0)
    proxy.refuse()
    start.tap()
    waiting = page.locator("#scan-feed-log .scan-line-wait")
    waiting.wait_for()
    assert f"{trial['codes'][0]}: waiting to send" in waiting.inner_text()
    wait_for_outbox(page, 1)
    assert f"Scan to feed {trial['codes'][0]}" in page.locator("#outbox-here").inner_text()
    # the label stays in view: read again and again, still one tap
    page.locator("#scan-feed-log .scan-line-again", has_text="waiting to send, scanned").wait_for()
    page.get_by_role("button", name="Stop camera").tap()
    wait_for_outbox(page, 1)
    assert page.evaluate("window.__buzz")[0] == [80, 40, 80]  # "kept", not "fed"

    proxy.refuse_posts()  # pages load again, taps still cannot be sent
    code = page.locator("#scan-feed-code")
    code.fill(trial["codes"][1])  # a hardware scanner types the second plant's code
    code.press("Enter")
    page.locator("#scan-feed-log .scan-line-wait", has_text=trial["codes"][1]).wait_for()
    wait_for_outbox(page, 2)
    assert _fed(app, first) == 0 and _fed(app, second) == 0
    assert small_targets(page) == []
    for scheme in ("light", "dark"):  # for a look: the waiting lines and the outbox count
        page.emulate_media(color_scheme=scheme)
        _screenshot(page, f"scan-feed-waiting-{scheme}")
    page.emulate_media(color_scheme="light")

    page.reload()  # the forms that made the scans are gone; the scans wait on the phone
    wait_for_outbox(page, 2)
    proxy.pass_through()

    def landed():
        return api_feedings(page, proxy.url, first), api_feedings(page, proxy.url, second)

    eventually(landed, (1, 1))
    wait_for_outbox(page, 0, 0)
    # landed after the reload: the page they were made on says so and the queue drops them
    page.locator("#scan-feed-log .scan-line-ok", has_text="Sent from the outbox").nth(1).wait_for()
    page.locator(f"#feed-{first}").wait_for(state="detached")
    page.locator(f"#feed-{second}").wait_for(state="detached")
    code.fill(trial["codes"][0])  # scanned again in this session: not logged twice
    code.press("Enter")
    page.locator("#scan-feed-log .scan-line-again", has_text="already fed").wait_for()
    wait_for_outbox(page, 0, 0)
    assert landed() == (1, 1)
    assert sum(_fed(app, p) for p in trial["plants"]) == 2
    assert [e for e in page.console_errors if not e.startswith("Failed to load resource")] == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_screens(camera, live_server, scheme):
    """Screenshots at 390×844 for a look: /scan with the camera on, the queue in scan mode."""
    base, app = live_server
    trial = _running(app, f"Screens {scheme}")
    page = camera(label_frame(None), color_scheme=scheme)
    sign_in(page, base, "operator", "/scan")
    page.locator(".scanner[data-camera=on]").wait_for()
    page.wait_for_timeout(400)
    assert small_targets(page) == []
    _screenshot(page, f"scan-{scheme}")
    page.goto(f"{base}/experiments/{trial['id']}/feeding/scan")
    page.get_by_role("button", name="Start scanning").tap()
    page.locator(".scanner[data-camera=on]").wait_for()
    code = page.locator("#scan-feed-code")
    for text in (trial["codes"][0], trial["codes"][0], "https://shop.example/x"):
        code.fill(text)
        code.press("Enter")
        page.wait_for_timeout(300)
    page.locator("#scan-feed-log li").nth(2).wait_for()
    assert small_targets(page) == []
    _screenshot(page, f"scan-feed-{scheme}")
    assert [e for e in page.console_errors if "status of 422" not in e] == []  # the shop code


def test_without_a_secure_context_the_page_explains_and_typing_still_works(page, live_server):
    """On http://<LAN IP> the browser offers no camera; here the page is made to believe it."""
    base, app = live_server
    trial = _running(app, "Insecure")
    page.add_init_script("Object.defineProperty(window, 'isSecureContext', {value: false})")
    sign_in(page, base, "operator", f"/experiments/{trial['id']}/feeding")
    page.goto(f"{base}/scan")
    note = page.locator(".scanner-insecure")
    note.wait_for()
    assert "HTTPS on the tent's network" in note.inner_text()
    assert page.locator(".scanner-start").is_hidden()
    page.keyboard.type(trial["codes"][3])
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/p/{trial['plants'][3]}?from=/scan")

