"""Label PDFs made while a request waits render in a render process, not in the web
worker (issue 12, item 9): the web worker's threads and GIL stay free, so /healthz answers
while a render runs; a render process that dies, or a render that outlasts
PDF_RENDER_TIMEOUT, is a 503 with Retry-After and a sentence (never a 500 or a hang), and
the next download renders in a fresh process. The render is held by the test
(tests/helpers/held_render.py) so the checks are about order, never about wall time."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading

import pytest
from sqlalchemy.orm import Session

from growapp import create_app
from growapp.labels import render_process
from growapp.services.labels import printing
from growapp.services.labels.sheet_templates import ensure_label_templates
from growapp.services.presets import ensure_presets
from growapp.services.users import create_api_token
from tests.helpers import factories as f
from tests.helpers import held_render
from tests.helpers.databases import fresh_database
from tests.helpers.settings import app_settings

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX signals")


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    url, drop = fresh_database("pdfprocess")
    app = create_app(app_settings(url, WTF_CSRF_ENABLED=False, JOBS_BACKEND="inline",
                                  PDF_CONCURRENCY=2,
                                  UPLOAD_DIR=str(tmp_path_factory.mktemp("uploads"))))
    with Session(app.extensions["growapp_db"].engine) as s:
        ensure_presets(s)
        ensure_label_templates(s)
        exp, _trays, _plants, _recipe = f.make_running_experiment(s, plants=5, trays=1)
        viewer = f.make_user(s, "viewer")
        s.flush()
        app.token = create_api_token(s, user=viewer, name="pdf")[1]
        app.sign_in = f.sign_in_token(s, viewer)
        s.commit()
        app.experiment_id = exp.id
    yield app
    app.extensions["growapp_db"].engine.dispose()
    drop()


@pytest.fixture
def held(monkeypatch):
    """Renders wait at the gate; the gate is opened at the end whatever happened."""
    monkeypatch.setattr(printing, "render_pdf", held_render.held_render)
    folder = held_render.fresh_gate()
    yield folder
    (folder / "release").touch()


def _api_pdf(app):
    return app.test_client().get(f"/api/v1/experiments/{app.experiment_id}/labels.pdf",
                                 headers={"Authorization": f"Bearer {app.token}"})


def _in_background(call) -> tuple[threading.Thread, dict]:
    answer: dict = {}
    thread = threading.Thread(target=lambda: answer.update(response=call()), daemon=True)
    thread.start()
    return thread, answer


def test_the_render_runs_in_another_process_and_healthz_answers_meanwhile(app, held):
    def page_pdf():
        client = app.test_client()
        with client.session_transaction() as sess:
            sess["_user_id"] = app.sign_in
        return client.get(f"/experiments/{app.experiment_id}/labels/sheet.pdf")

    thread, answer = _in_background(page_pdf)
    pid = held_render.wait_for_start(held)
    assert pid != os.getpid()
    assert pid in {p.pid for p in multiprocessing.active_children()}  # our render process

    health = app.test_client().get("/healthz")
    assert health.status_code == 200 and health.get_json() == {"status": "ok"}
    assert thread.is_alive() and not answer  # answered while the render still runs

    (held / "release").touch()
    thread.join(60)
    response = answer["response"]
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert response.headers["Content-Disposition"].startswith("attachment;")


def test_a_killed_render_process_is_a_503_and_the_next_download_renders(app, held,
                                                                       monkeypatch):
    thread, answer = _in_background(lambda: _api_pdf(app))
    os.kill(held_render.wait_for_start(held), signal.SIGKILL)
    thread.join(60)
    assert not thread.is_alive(), "the request hung on a dead render process"
    response = answer["response"]
    assert response.status_code == 503, response.data
    assert int(response.headers["Retry-After"]) >= 1
    assert response.get_json() == {"detail": render_process.FAILED}

    monkeypatch.undo()  # the real render again, in a fresh pool; the slot was freed
    again = _api_pdf(app)
    assert again.status_code == 200 and again.data.startswith(b"%PDF")


def test_a_render_over_the_time_limit_is_stopped_with_a_503(app, held, monkeypatch):
    # a render process up first: the limit is for the render, not for starting one
    render_process.render_pool(2).submit(render_process._warm_up).result(60)
    monkeypatch.setitem(app.config, "PDF_RENDER_TIMEOUT", 1.5)
    thread, answer = _in_background(lambda: _api_pdf(app))
    pid = held_render.wait_for_start(held)
    thread.join(60)  # never released: the time limit ends it
    response = answer["response"]
    assert response.status_code == 503 and response.headers["Retry-After"]
    assert response.get_json() == {"detail": render_process.TOO_LONG}
    assert pid not in {p.pid for p in multiprocessing.active_children()}  # stopped

    monkeypatch.undo()
    again = _api_pdf(app)
    assert again.status_code == 200 and again.data.startswith(b"%PDF")
