"""Admin → Alert channels with a thumb at 390 px: add a webhook pointing at a real local
receiver, copy the secret, tap Test; the worker's pass delivers it, signed; a refused URL
shows its reason in place. The profile's digest switch. Light and dark screenshots land in
test-artifacts/ for a person to look at; no console errors, no target under 44 px."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from sqlalchemy.orm import Session

from growapp.notifications import sender
from tests.helpers.browser import ARTIFACTS, sign_in, small_targets
from tests.helpers.webhooks import webhook_receiver

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_add_test_and_deliver_a_webhook(page, live_server, scheme):
    base, app = live_server
    page.emulate_media(color_scheme=scheme)
    sign_in(page, base, "admin", "/admin/alerts")
    with webhook_receiver() as hook:
        page.get_by_label("Name").first.fill("Refused")
        page.get_by_label("URL").fill("http://169.254.169.254/latest/meta-data/")
        page.get_by_role("button", name="Add webhook").tap()
        assert page.locator(".field-msg .error").first.inner_text().startswith("Link-local")
        page.get_by_label("Name").first.fill(f"Ops {scheme}")
        page.get_by_label("URL").fill(hook.url)
        page.get_by_role("button", name="Add webhook").tap()
        secret = page.locator("#webhook-secret").input_value()
        assert len(secret) >= 32
        row = page.locator(".row-card", has_text=f"Ops {scheme}")
        row.get_by_role("button", name="Test").tap()
        page.get_by_text("Test message queued").wait_for()
        with Session(app.extensions["growapp_db"].engine) as s:
            assert sender.send_due_deliveries(s, settings=app.config) >= 1
        page.reload()
        page.locator("#alert-delivery-log .chip-ok").first.wait_for()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"admin-alerts-{scheme}.png"), full_page=True,
                        caret="initial")
        assert small_targets(page) == []
    mine = [r for r in hook.requests if r.headers["X-Growapp-Event"] == "test"]
    assert mine, hook.requests
    r = mine[-1]
    expected = hmac.new(secret.encode(), r.headers["X-Growapp-Timestamp"].encode() + b"." +
                        r.body, hashlib.sha256).hexdigest()
    assert r.headers["X-Growapp-Signature"] == f"sha256={expected}"
    # the refused URL's 422 is logged by Chromium as a failed load; nothing else (CSP…)
    assert [e for e in page.console_errors if "status of 422" not in e] == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_profile_digest_switch(page, live_server, scheme):
    base, _app = live_server
    page.emulate_media(color_scheme=scheme)
    sign_in(page, base, "viewer", "/profile")
    box = page.get_by_label("Email me a daily digest of due work")
    box.check()
    page.locator("#profile-digest").get_by_role("button", name="Save").tap()
    page.get_by_text("Daily digest on.").wait_for()
    assert page.get_by_label("Email me a daily digest of due work").is_checked()
    page.locator("#profile-digest").scroll_into_view_if_needed()
    page.locator("#profile-digest").screenshot(path=str(ARTIFACTS / f"profile-digest-{scheme}.png"),
                                       caret="initial")
    page.get_by_label("Email me a daily digest of due work").uncheck()
    page.locator("#profile-digest").get_by_role("button", name="Save").tap()
    page.get_by_text("Daily digest off.").wait_for()
    assert small_targets(page) == []
    assert page.console_errors == []
