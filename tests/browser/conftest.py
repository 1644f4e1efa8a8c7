"""Playwright driving Debian's Chromium at 390×844 against a live server thread.

Skips loudly when no Chromium is found; fails instead when GROWAPP_REQUIRE_BROWSER=1 (CI).
"""

from __future__ import annotations

import logging
import os
import threading
import warnings

import pytest
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from growapp import create_app
from growapp.services.presets import ensure_presets
from growapp.services.users import create_user
from tests.helpers.browser import ARTIFACTS, CHROMIUM_ARGS, PASSWORD, chromium_path
from tests.helpers.databases import fresh_database
from tests.helpers.settings import app_settings
from tests.helpers.tcp_proxy import TcpProxy


def _unavailable(reason: str):
    if os.environ.get("GROWAPP_REQUIRE_BROWSER") == "1":
        pytest.fail(f"Browser tests are required (GROWAPP_REQUIRE_BROWSER=1) but {reason}")
    message = f"BROWSER TESTS SKIPPED: {reason}. Install Debian's chromium to run them."
    warnings.warn(message, stacklevel=2)
    pytest.skip(message)


@pytest.fixture(scope="session")
def chromium():
    path = chromium_path()
    if path is None:
        _unavailable("no Chromium executable was found (/usr/bin/chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed")
    pw = sync_playwright().start()
    try:
        browser = pw.chromium.launch(executable_path=path, args=CHROMIUM_ARGS, headless=True)
    except Exception as exc:  # noqa: BLE001
        pw.stop()
        _unavailable(f"Chromium at {path} did not start: {exc}")
    yield browser
    browser.close()
    pw.stop()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    url, drop = fresh_database("browser")
    app = create_app(app_settings(url, UPLOAD_DIR=str(tmp_path_factory.mktemp("up"))))
    with Session(app.extensions["growapp_db"].engine) as session:
        ensure_presets(session)
        for role in ("admin", "operator", "viewer"):
            create_user(session, email=f"{role}@example.com", password=PASSWORD, role=role,
                        display_name=f"{role.title()} Browser")
        session.commit()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request is noise
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.app_obj = app
    yield f"http://127.0.0.1:{server.server_port}", app
    server.shutdown()
    app.extensions["growapp_db"].engine.dispose()
    drop()


@pytest.fixture
def proxy(live_server):
    """A TCP proxy in front of the live server that can cut the connection for real."""
    base, _app = live_server
    p = TcpProxy(int(base.rsplit(":", 1)[1]))
    yield p
    p.close()


@pytest.fixture
def axe_page(chromium):
    """A phone page that may inject axe-core (``bypass_csp``: the app's CSP rightly refuses
    inline script, and the app itself never serves axe) and records console errors."""
    context = chromium.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                   has_touch=True, device_scale_factor=2, bypass_csp=True)
    context.set_default_timeout(10_000)
    pg = context.new_page()
    pg.console_errors = []
    pg.on("console", lambda m: m.type == "error" and pg.console_errors.append(m.text))
    yield pg
    context.close()


@pytest.fixture
def page(chromium, request):
    context = chromium.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                   has_touch=True, device_scale_factor=2)
    context.set_default_timeout(10_000)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    pg.console_errors = errors
    yield pg
    if getattr(request.node, "rep_call", None) and request.node.rep_call.failed:
        # The page the test ended on: a test may close this one and open another (a tab
        # closed and the app opened again); a screenshot of a closed page would fail the
        # teardown too and hide the real failure behind a second error.
        shown = [p for p in context.pages if not p.is_closed()]
        if shown:
            ARTIFACTS.mkdir(exist_ok=True)
            shown[-1].screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, f"rep_{rep.when}", rep)
