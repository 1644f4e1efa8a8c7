"""The admin pages' section tabs on a phone (390 px): all four visible without scrolling
sideways, each a ≥ 44 px target, the current one marked; light and dark screenshots land
in test-artifacts/."""

from __future__ import annotations

import pytest

from tests.helpers.browser import ARTIFACTS, sign_in

pytestmark = pytest.mark.browser
TABS = ("Users and invites", "Species and templates", "Alert channels", "Audit log")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_admin_tabs_wrap_instead_of_scrolling(page, live_server, scheme):
    base, _app = live_server
    page.emulate_media(color_scheme=scheme)
    sign_in(page, base, "admin", "/admin/users")
    for path, current in (("/admin/users", "Users and invites"), ("/admin/audit", "Audit log")):
        page.goto(base + path)
        nav = page.get_by_role("navigation", name="Admin")
        width = page.evaluate("() => document.documentElement.clientWidth")
        assert nav.evaluate("n => n.scrollWidth <= n.clientWidth"), "the tabs scroll sideways"
        for name in TABS:
            box = nav.get_by_role("link", name=name).bounding_box()
            assert box["height"] >= 44 and box["width"] >= 44, (name, box)
            assert box["x"] >= 0 and box["x"] + box["width"] <= width, (name, box)
        assert nav.locator("[aria-current=page]").inner_text() == current
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"admin-tabs-{scheme}.png"), caret="initial")
    assert page.console_errors == []
