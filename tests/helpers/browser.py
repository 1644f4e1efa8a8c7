"""What browser tests do often: sign in, find controls too small for a gloved thumb, wait
for the outbox and for a tap to land (polling the outcome, never a fixed sleep)."""

from __future__ import annotations

import os
import shutil
import time
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


# The outbox retries with backoff (2 s, 4 s, 8 s … at most 30 s): one retry period and the
# send itself, with room for a loaded machine.
SETTLE_MS = 45_000


def wait_for_outbox(page, count: int, refused: int | None = None,
                    timeout: int = SETTLE_MS) -> None:
    """Until the top bar's outbox shows ``count`` waiting (and ``refused``) taps as read
    from the phone's store (``data-synced``), not the 0 the server rendered the page with."""
    sel = f'#outbox[data-synced][data-count="{count}"]'
    if refused is not None:
        sel += f'[data-refused="{refused}"]'
    page.locator(sel).wait_for(state="attached", timeout=timeout)


def eventually(check, expected, timeout: float = SETTLE_MS / 1000, every: float = 0.2):
    """Polls ``check()`` until it returns ``expected`` (a tap lands when the server has
    committed it, which a loaded machine may take a while to do); fails with the last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value == expected or time.monotonic() > deadline:
            break
        time.sleep(every)
    assert value == expected, f"still {value!r} after {timeout:.0f} s (waited for {expected!r})"
    return value


def api_feedings(page, base: str, plant_uuid: str) -> int:
    """How many feedings the JSON API lists for the plant (the page's session signs the GET)."""
    resp = page.request.get(f"{base}/api/v1/plants/{plant_uuid}/feeding/recent")
    assert resp.status == 200, resp.text()
    return resp.json()["count"]
