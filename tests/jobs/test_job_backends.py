"""The job seam on its real backends, against a committed database (a worker process
cannot see a test's rolled-back transaction): the embedded pool of worker processes, RQ
on the Redis at 127.0.0.1:6379 (db 5, a queue of its own) with `flask worker` as a separate
process, a runner killed mid-job, and Redis down."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from sqlalchemy import update
from sqlalchemy.orm import Session

from growapp import create_app
from growapp.config import ROOT
from growapp.models import Experiment, Job, utcnow
from growapp.services import jobs as job_service
from growapp.services.labels.sheet_templates import ensure_label_templates
from growapp.services.plants import add_plants
from growapp.services.presets import ensure_presets
from growapp.services.users import create_api_token
from tests.helpers import factories as f
from tests.helpers.databases import fresh_database
from tests.helpers.jobs import wait_for_status
from tests.helpers.settings import SECRET, app_settings

REDIS = "redis://127.0.0.1:6379/5"


def _redis_up() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


needs_redis = pytest.mark.skipif(not _redis_up(), reason="no Redis on 127.0.0.1:6379")


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A committed database: one experiment of 120 plants, a viewer with an API token."""
    url, drop = fresh_database("jobs")
    app = create_app(app_settings(url, JOBS_BACKEND="inline"))
    engine = app.extensions["growapp_db"].engine
    with Session(engine) as s:
        ensure_presets(s)
        ensure_label_templates(s)
        user = f.make_user(s, role="viewer")
        exp = Experiment(name="Job trial", short_name="JT")
        s.add(exp)
        s.flush()
        add_plants(s, experiment_id=exp.id, actor=user, species_id=f.species(s).id,
                   quantity=120)
        _token, raw = create_api_token(s, user=user, name="jobs")
        s.commit()
        world = {"url": url, "exp_id": exp.id, "auth": {"Authorization": f"Bearer {raw}"}}
    engine.dispose()
    yield world
    drop()


def _app(world, tmp_path, **settings):
    return create_app(app_settings(world["url"], UPLOAD_DIR=str(tmp_path),
                                   LABELS_RENDER_WORKERS=1, JOB_HEARTBEAT_SECONDS=0.5,
                                   **settings))


def _start(app, world, **body) -> int:
    client = app.test_client()
    resp = client.post(f"/api/v1/experiments/{world['exp_id']}/labels/jobs",
                       headers=world["auth"], json=body)
    assert resp.status_code == 202, resp.get_json()
    with Session(app.extensions["growapp_db"].engine) as s:
        return s.query(Job.id).filter(Job.uuid == uuid.UUID(resp.get_json()["id"])).scalar()


def _download(app, world, job: Job) -> bytes:
    client = app.test_client()
    body = client.get(f"/api/v1/jobs/{job.uuid}", headers=world["auth"]).get_json()
    assert body["status"] == "done", body
    resp = client.get(body["download_url"], headers=world["auth"])
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    return resp.data


def _worker_env(world, tmp_path, queue: str, redis_url: str | None = REDIS) -> dict:
    env = {**os.environ, "GROWAPP_DATABASE_URL": world["url"], "GROWAPP_SECRET_KEY": SECRET,
           "GROWAPP_UPLOAD_DIR": str(tmp_path), "GROWAPP_JOB_QUEUE": queue,
           "GROWAPP_LABELS_RENDER_WORKERS": "1", "PYTHONPATH": str(ROOT)}
    env.pop("GROWAPP_REDIS_URL", None)
    if redis_url:
        env["GROWAPP_REDIS_URL"] = redis_url
    return env


def _worker(env, *extra) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "growapp", "worker",
                             *extra], cwd=ROOT, env=env, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


# The embedded pool ---------------------------------------------------------------------

def test_pool_renders_in_a_worker_process(world, tmp_path):
    app = _app(world, tmp_path, JOBS_BACKEND="process")
    queue = app.extensions["growapp_jobs"]
    try:
        job_id = _start(app, world, template="avery-5160", copies=1)  # 120 labels
        job = wait_for_status(app.extensions["growapp_db"].engine, job_id, {"done", "failed"})
        assert job.status == "done", job.error
        assert job.runner.split(":")[-1] != str(os.getpid())  # another process ran it
        assert job.total == job.done == 120
        pdf = _download(app, world, job)
        assert pdf.startswith(b"%PDF") and (tmp_path / job.file_key).is_file()
    finally:
        queue.shutdown()


def test_pool_runner_killed_mid_job_is_failed_with_the_reason(world, tmp_path):
    app = _app(world, tmp_path, JOBS_BACKEND="process")
    queue = app.extensions["growapp_jobs"]
    engine = app.extensions["growapp_db"].engine
    try:
        job_id = _start(app, world, template="thermal-50x25", copies=5)  # 600 pages
        wait_for_status(engine, job_id, {"running"}, timeout=60)
        for process in queue.processes():
            os.kill(process.pid, signal.SIGKILL)
        started = time.monotonic()
        job = wait_for_status(engine, job_id, {"failed", "done"}, timeout=30)
        assert job.status == "failed" and job.error == job_service.DEAD_RUNNER
        assert time.monotonic() - started < 30
        # The next job gets a fresh pool.
        second = _start(app, world, template="avery-5160", tray=None)
        assert wait_for_status(engine, second, {"done", "failed"}).status == "done"
    finally:
        queue.shutdown()


def test_a_stale_heartbeat_is_failed_by_the_periodic_task(world, tmp_path):
    """`flask worker --burst` without Redis runs the periodic tasks once."""
    app = _app(world, tmp_path, JOBS_BACKEND="inline")
    engine = app.extensions["growapp_db"].engine
    job_id = _start(app, world)
    with Session(engine) as s:
        s.execute(update(Job).where(Job.id == job_id).values(
            status="running", heartbeat_at=utcnow() - timedelta(minutes=2)))
        s.commit()
    proc = _worker(_worker_env(world, tmp_path, "unused", redis_url=None), "--burst")
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, out.decode()
    job = wait_for_status(engine, job_id, {"failed"}, timeout=5)
    assert job.error == "The worker stopped while rendering; start it again."


# RQ on Redis ---------------------------------------------------------------------------

@needs_redis
def test_rq_job_runs_in_a_separate_worker_process(world, tmp_path):
    queue_name = f"growapp-test-{uuid.uuid4().hex[:8]}"
    app = _app(world, tmp_path, REDIS_URL=REDIS, JOB_QUEUE=queue_name)
    assert app.extensions["growapp_jobs"].name == "rq"
    ready = app.test_client().get("/readyz")
    assert ready.status_code == 200 and ready.get_json()["redis"] is True
    job_id = _start(app, world, template="avery-5160")
    assert redis.Redis.from_url(REDIS).llen(f"rq:queue:{queue_name}") == 1
    proc = _worker(_worker_env(world, tmp_path, queue_name), "--burst")
    out, _ = proc.communicate(timeout=180)
    assert proc.returncode == 0, out.decode()
    job = wait_for_status(app.extensions["growapp_db"].engine, job_id, {"done", "failed"},
                          timeout=10)
    assert job.status == "done", (job.error, out.decode())
    assert int(job.runner.split(":")[-1]) not in (os.getpid(), proc.pid)  # a work horse
    assert _download(app, world, job).startswith(b"%PDF")


@needs_redis
def test_rq_worker_killed_mid_job_stops_the_heartbeat(world, tmp_path, monkeypatch):
    queue_name = f"growapp-test-{uuid.uuid4().hex[:8]}"
    app = _app(world, tmp_path, REDIS_URL=REDIS, JOB_QUEUE=queue_name)
    engine = app.extensions["growapp_db"].engine
    job_id = _start(app, world, template="thermal-50x25", copies=5)
    proc = _worker(_worker_env(world, tmp_path, queue_name))
    try:
        running = wait_for_status(engine, job_id, {"running"}, timeout=60)
        horse = int(running.runner.split(":")[-1])
        assert horse != proc.pid  # RQ forked a work horse (in a session of its own)
        time.sleep(1.5)
        os.kill(horse, signal.SIGKILL)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # and the worker itself
        proc.wait(10)
    with Session(engine) as s:
        beat = s.get(Job, job_id).heartbeat_at
    time.sleep(1)
    with Session(engine) as s:
        job = s.get(Job, job_id)
        assert job.status == "running" and job.heartbeat_at == beat  # nobody beats now
        monkeypatch.setattr(job_service, "DEAD_AFTER", timedelta(seconds=1))
        assert job_service.job_state(job) == "failed"
        assert job_service.job_error(job) == job_service.DEAD_RUNNER
        job_uuid = job.uuid
        assert job_service.fail_dead_jobs(s) == 1
        s.commit()
    body = app.test_client().get(f"/api/v1/jobs/{job_uuid}", headers=world["auth"]).get_json()
    assert body["status"] == "failed" and body["error"] == job_service.DEAD_RUNNER
    redis.Redis.from_url(REDIS).delete(f"rq:queue:{queue_name}")


def test_redis_down_readyz_503_and_jobs_refused(world, tmp_path):
    app = _app(world, tmp_path, REDIS_URL="redis://127.0.0.1:1/5")
    client = app.test_client()
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.get_json()["redis"] is False and ready.get_json()["database"] is True
    before = _count(app)
    resp = client.post(f"/api/v1/experiments/{world['exp_id']}/labels/jobs",
                       headers=world["auth"], json={})
    assert resp.status_code == 503
    assert "The job queue is not answering (Redis at 127.0.0.1:1)" in resp.get_json()["detail"]
    assert _count(app) == before  # nothing queued in a fall-back


def _count(app) -> int:
    with Session(app.extensions["growapp_db"].engine) as s:
        return s.query(Job).count()


def test_worker_command_is_registered():
    assert "worker" in create_app(app_settings("sqlite://")).cli.commands
    assert Path(ROOT / "growapp" / "jobs" / "worker.py").is_file()
