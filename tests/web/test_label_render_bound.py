"""Label PDFs rendered in requests are bounded per server and per user (issue 12, item 9):
concurrent GETs of sheet.pdf / labels.pdf render at most PDF_CONCURRENCY at once; the rest
are answered at once with 503 (or 429 for a second render of the same user), Retry-After
and a sentence, never a 500 and never a hung worker. The bound holds across processes
(flock), and a killed holder frees its slot. Over 100 labels is still a 409 naming the job
route, busy or not. Real commits in a throwaway database; threads released together."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pytest
from sqlalchemy.orm import Session

from growapp import create_app
from growapp.services.labels import printing
from growapp.services.labels.sheet_templates import ensure_label_templates
from growapp.services.presets import ensure_presets
from growapp.services.users import create_api_token
from tests.helpers import factories as f
from tests.helpers.concurrency import storm
from tests.helpers.databases import fresh_database
from tests.helpers.settings import app_settings

HOLD = 0.6  # seconds each render keeps its slot (on top of the real render)


@pytest.fixture(scope="module")
def bound_app(tmp_path_factory):
    url, drop = fresh_database("pdfbound")
    slots = tmp_path_factory.mktemp("render-slots")
    app = create_app(app_settings(url, WTF_CSRF_ENABLED=False, JOBS_BACKEND="inline",
                                  PDF_CONCURRENCY=2, RENDER_SLOTS_DIR=str(slots),
                                  UPLOAD_DIR=str(tmp_path_factory.mktemp("uploads"))))
    with Session(app.extensions["growapp_db"].engine) as s:
        ensure_presets(s)
        ensure_label_templates(s)
        exp, _trays, _plants, _recipe = f.make_running_experiment(s, plants=11, trays=1)
        s.commit()
        app.experiment_id = exp.id
    app.slots_dir = slots
    yield app
    app.extensions["growapp_db"].engine.dispose()
    drop()


def _tokens(app, n: int, role: str = "viewer") -> list[dict]:
    with Session(app.extensions["growapp_db"].engine) as s:
        raws = [create_api_token(s, user=f.make_user(s, role), name="pdf")[1]
                for _ in range(n)]
        s.commit()
    return [{"Authorization": f"Bearer {raw}"} for raw in raws]


@pytest.fixture
def renders(monkeypatch):
    """Count renders in progress (and the most at once); each holds its slot HOLD s. The
    count is taken where the request hands its render to a render process (which must be
    sent a function by name, so the counting wraps the hand-over)."""
    state = {"now": 0, "most": 0, "done": 0}
    lock = threading.Lock()
    real = printing.render_apart

    def counted(*args, **kwargs):
        with lock:
            state["now"] += 1
            state["most"] = max(state["most"], state["now"])
        try:
            time.sleep(HOLD)
            return real(*args, **kwargs)
        finally:
            with lock:
                state["now"] -= 1
                state["done"] += 1

    monkeypatch.setattr(printing, "render_apart", counted)
    return state



def _api_pdf(app, headers, **query):
    query.setdefault("tray", "TR1")  # 11 plants: one sheet
    return lambda c: c.get(f"/api/v1/experiments/{app.experiment_id}/labels.pdf",
                           headers=headers, query_string=query)


def test_at_most_n_render_at_once_the_rest_get_503(bound_app, renders):
    answers = storm(bound_app, [_api_pdf(bound_app, h) for h in _tokens(bound_app, 8)])
    codes = sorted(r.status_code for r in answers)
    assert set(codes) <= {200, 503}, codes
    assert renders["most"] == 2, renders  # both slots used, never a third
    ok = [r for r in answers if r.status_code == 200]
    busy = [r for r in answers if r.status_code == 503]
    assert ok and busy and renders["done"] == len(ok)
    assert all(r.data.startswith(b"%PDF") for r in ok)
    for r in busy:
        assert int(r.headers["Retry-After"]) >= 1
        assert r.get_json() == {"detail": (
            "Another label sheet is being made on this server right now. Try again in a few "
            "seconds, or start a label job, which waits its turn for you.")}
    # the slots are free again: the next request renders
    assert _api_pdf(bound_app, _tokens(bound_app, 1)[0])(bound_app.test_client()) \
        .status_code == 200


def test_one_render_per_user_the_second_gets_429(bound_app, renders):
    headers = _tokens(bound_app, 1)[0]
    answers = storm(bound_app, [_api_pdf(bound_app, headers) for _ in range(3)])
    assert sorted(r.status_code for r in answers) == [200, 429, 429]
    for r in answers:
        if r.status_code == 429:
            assert r.headers["Retry-After"] and "already making a label sheet" in \
                r.get_json()["detail"]


def test_the_web_page_download_is_bounded_too(bound_app, renders):
    exp_id = bound_app.experiment_id
    with Session(bound_app.extensions["growapp_db"].engine) as s:
        users = [f.make_user(s, "viewer") for _ in range(5)]
        s.commit()
        tokens = [f.sign_in_token(s, u) for u in users]
        s.commit()

    def page_pdf(token):
        def call(client):
            with client.session_transaction() as sess:
                sess["_user_id"] = token
            return client.get(f"/experiments/{exp_id}/labels/sheet.pdf")
        return call

    answers = storm(bound_app, [page_pdf(t) for t in tokens])
    codes = sorted(r.status_code for r in answers)
    assert set(codes) <= {200, 503} and 503 in codes and renders["most"] <= 2, codes
    busy = next(r for r in answers if r.status_code == 503)
    html = busy.get_data(as_text=True)
    assert busy.headers["Retry-After"] and "<html" in html
    assert "Please try again shortly" in html
    assert "Another label sheet is being made on this server right now." in html


def test_over_100_labels_is_still_a_409_with_the_job_route_while_busy(bound_app, renders):
    headers = _tokens(bound_app, 3)
    answers = storm(bound_app, [_api_pdf(bound_app, headers[0]), _api_pdf(bound_app, headers[1]),
                                _api_pdf(bound_app, headers[2], copies=10)])
    too_many = answers[2]  # 11 plants × 10 copies
    assert too_many.status_code == 409, too_many.get_json()
    assert too_many.get_json()["diagnostics"] == {
        "labels": 110, "limit": 100,
        "job_route": f"/api/v1/experiments/{bound_app.experiment_id}/labels/jobs"}


HOLDER = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(fd, fcntl.LOCK_EX)
print("held", flush=True)
time.sleep(120)
"""


@pytest.mark.skipif(sys.platform == "win32", reason="flock is POSIX")
def test_slots_are_shared_by_processes_and_freed_when_a_holder_dies(bound_app):
    """Another process (a second gunicorn worker) holding both slots makes this one answer
    503; killed with SIGKILL mid-render, its slot is free at once."""
    holders = [subprocess.Popen([sys.executable, "-c", HOLDER,
                                 str(bound_app.slots_dir / f"slot-{i}.lock")],
                                stdout=subprocess.PIPE, text=True) for i in range(2)]
    try:
        for h in holders:
            assert h.stdout.readline().strip() == "held"
        headers = _tokens(bound_app, 1)[0]
        busy = _api_pdf(bound_app, headers)(bound_app.test_client())
        assert busy.status_code == 503 and busy.headers["Retry-After"]
        os.kill(holders[0].pid, signal.SIGKILL)
        holders[0].wait(10)
        assert _api_pdf(bound_app, headers)(bound_app.test_client()).status_code == 200
    finally:
        for h in holders:
            h.kill()
            h.wait(10)
