"""The worker side: run one job by id in this process (a pool process or an RQ work horse).

``run_job`` is what the queues call; it opens its own engine from the settings handed to
``init_worker`` (or read from the environment), claims the job, keeps a heartbeat while the
handler works, stores the file and the outcome. It never raises: a failure is a sentence
on the job.
"""

from __future__ import annotations

import importlib
import logging
import os
import socket
import threading
from collections.abc import Callable, Mapping

from sqlalchemy.orm import Session, sessionmaker

from ..extensions import make_engine, sqlite_write_intent
from ..labels import render_workers
from ..models import Job
from ..services import jobs as job_service
from ..services.errors import DomainError, Invalid
from ..storage import storage_from_settings

log = logging.getLogger(__name__)

# kind → "module:function" (session, *, job, storage, progress, workers) → (key, name, total)
HANDLERS = {"labels": "growapp.services.labels.jobs:render_label_job"}

_settings: dict | None = None
_engines: dict = {}  # (pid, url) → sessionmaker: a forked child never reuses its parent's


def init_worker(settings: Mapping) -> None:
    """Settings for jobs run in this process (the pool's initializer, the worker command)."""
    global _settings
    _settings = dict(settings)


def worker_settings(settings: Mapping) -> dict:
    """The plain values of the app's settings, to hand to a spawned process."""
    plain = (str, int, float, bool, type(None), list, tuple, dict)
    return {k: v for k, v in settings.items() if k.isupper() and isinstance(v, plain)}


def _current_settings() -> dict:
    global _settings
    if _settings is None:
        from ..config import build_settings

        _settings = build_settings()
    return _settings


def session_factory_for(url: str) -> sessionmaker[Session]:
    key = (os.getpid(), url)
    factory = _engines.get(key)
    if factory is None:
        for (pid, _url), old in list(_engines.items()):
            if pid != os.getpid():  # inherited through fork: drop without closing
                old.kw["bind"].dispose(close=False)
                del _engines[(pid, _url)]
        factory = _engines[key] = sessionmaker(bind=make_engine(url), expire_on_commit=False)
    return factory


def run_job(job_id: int) -> str:
    """Entry point of pool processes and RQ work horses. Returns the final status."""
    settings = _current_settings()
    return execute_job(session_factory_for(settings["DATABASE_URL"]),
                       storage=storage_from_settings(settings), job_id=job_id,
                       workers=render_workers(settings),
                       heartbeat_every=float(settings.get("JOB_HEARTBEAT_SECONDS")
                                             or job_service.HEARTBEAT_EVERY))


def _handler(kind: str) -> Callable:
    module, _, name = HANDLERS[kind].partition(":")
    return getattr(importlib.import_module(module), name)


def _message(exc: Exception) -> str:
    if isinstance(exc, DomainError):
        if isinstance(exc, Invalid) and exc.errors:
            return " ".join(m for ms in exc.errors.values() for m in ms)
        return exc.detail
    return "The file could not be made. The error has been logged."


def execute_job(session_factory: Callable[[], Session], *, storage, job_id: int,
                workers: int = 1, heartbeat_every: float | None = None) -> str:
    """Run a queued job here. ``heartbeat_every`` None: no heartbeat thread (progress ticks
    still beat) — for a session factory that must not be used from two threads."""
    intent = sqlite_write_intent.set(True)  # every transaction here writes: BEGIN IMMEDIATE
    session = session_factory()
    runner = f"{socket.gethostname()}:{os.getpid()}"
    stop = threading.Event()
    beater = None
    try:
        if not job_service.claim_job(session, job_id=job_id, runner=runner):
            session.rollback()
            return "skipped"  # finished, failed or taken by another worker
        session.commit()
        job = session.get(Job, job_id)
        session.info.update(actor_id=job.user_id, request_id=f"job-{job.uuid.hex[:10]}")
        if heartbeat_every:
            beater = threading.Thread(target=_heartbeat, name=f"job-{job_id}-heartbeat",
                                      args=(session_factory, job_id, heartbeat_every, stop),
                                      daemon=True)
            beater.start()

        def progress(done: int, total: int | None = None) -> None:
            job_service.beat(session, job_id=job_id, done=done, total=total)
            session.commit()

        key, name, total = _handler(job.kind)(session, job=job, storage=storage,
                                              progress=progress, workers=workers)
        stop.set()
        job_service.finish_job(session, job_id=job_id, file_key=key, file_name=name,
                               total=total)
        session.commit()
        return "done"
    except Exception as exc:  # a worker has nobody to raise to
        session.rollback()
        if not isinstance(exc, DomainError):
            log.exception("job %s failed", job_id)
        stop.set()
        try:
            job_service.fail_job(session, job_id=job_id, error=_message(exc))
            session.commit()
        except Exception:  # pragma: no cover - database gone as well
            log.exception("could not mark job %s failed", job_id)
        return "failed"
    finally:
        stop.set()
        if beater is not None:
            beater.join(5)
        session.close()
        sqlite_write_intent.reset(intent)


def _heartbeat(session_factory, job_id: int, every: float, stop: threading.Event) -> None:
    sqlite_write_intent.set(True)
    while not stop.wait(every):
        try:
            with session_factory() as session:
                job_service.beat(session, job_id=job_id)
                session.commit()
        except Exception:  # keep beating: a missed beat is not a failed job
            log.warning("job %s: heartbeat failed", job_id, exc_info=True)
