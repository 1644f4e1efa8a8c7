"""The admin pages' section tabs on a phone (390 px): all four visible without scrolling
sideways, each a ≥ 44 px target, the current one marked; light and dark screenshots land
in test-artifacts/."""

from __future__ import annotations

import pytest

from tests.helpers.browser import ARTIFACTS, axe_violations, sign_in

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


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_audit_log_entries_fit_a_phone(axe_page, live_server, scheme):
    """Each entry is a block of labelled lines at 390 px (the table scrolled sideways and
    cut "What" and "Changes" off); axe finds nothing serious in either scheme."""
    page = axe_page
    base, _app = live_server
    page.emulate_media(color_scheme=scheme)
    sign_in(page, base, "admin", "/admin/audit")  # the sign-in itself is an entry
    width = page.evaluate("() => document.documentElement.clientWidth")
    log = page.get_by_role("table").bounding_box()
    assert log["x"] >= 0 and log["x"] + log["width"] <= width, log  # the table was 592 px
    entry = page.get_by_role("row").filter(has_text="user_sessions").first
    boxes = [cell.bounding_box() for cell in entry.get_by_role("cell").all()]
    assert len(boxes) == 4 and len({round(b["x"]) for b in boxes}) == 1, boxes  # stacked
    assert all(b["x"] >= 0 and b["x"] + b["width"] <= width for b in boxes), boxes
    assert entry.evaluate("""r => [...r.querySelectorAll('td[data-label]')].map(
        td => getComputedStyle(td, '::before').content)""") == [
        '"When: "', '"Who: "', '"What: "']  # each line says which column it is
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width
    assert axe_violations(page) == []
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"admin-audit-{scheme}.png"), caret="initial")
    assert page.console_errors == []
