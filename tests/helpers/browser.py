"""What browser tests do often: sign in, find controls too small for a gloved thumb."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

PASSWORD = "browser-pass-123"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic", "--disable-dev-shm-usage"]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def chromium_path() -> str | None:
    for candidate in (os.environ.get("GROWAPP_CHROMIUM"), "/usr/bin/chromium",
                      shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def sign_in(page, base: str, role: str = "operator", next_path: str = "/") -> None:
    page.goto(f"{base}/login?next={next_path}")
    page.get_by_label("Email").fill(f"{role}@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").tap()
    page.wait_for_url(f"{base}{next_path}")


def small_targets(page) -> list[str]:
    """Visible interactive elements under 44 px tall (gloved thumbs need more).
    A control inside a label is measured by its label, which is what the thumb hits."""
    return page.evaluate("""() => [...document.querySelectorAll(
        'main a.btn, main button, main input:not([type=hidden]), main select,'
        + ' header a, header button')]
      .filter(el => el.offsetParent !== null)
      .filter(el => (el.closest('label') || el).getBoundingClientRect().height < 44)
      .map(el => el.outerHTML.slice(0, 80))""")


AXE = Path(__file__).resolve().parents[1] / "browser" / "vendor" / "axe-core-4.14.1.min.js"


def axe_violations(page) -> list[str]:
    """axe-core's serious and critical violations on the page (the page's context must be
    made with ``bypass_csp=True``: the script is injected inline; the app never serves it)."""
    page.add_script_tag(path=str(AXE))
    return page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
          .map(v => v.id + ' (' + v.impact + '): ' + v.nodes.slice(0, 3)
            .map(n => n.target.join(' ') + ' ' + (n.failureSummary || '').split('\\n').slice(1, 2))
            .join(' | '));
    }""")
