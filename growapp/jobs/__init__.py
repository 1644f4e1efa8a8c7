"""The one seam for work that must not run in a request: label PDFs over 100 labels,
large exports, later report rendering.

A job is a ``jobs`` row (``growapp.services.jobs``); a *queue* gets its id after the
transaction that created it commits, and a worker runs it (``runner.run_job``):

- embedded (the default, no extra service): ``ProcessPoolQueue``, a pool of worker
  **processes** owned by the web process (spawned, never threads: WeasyPrint holds the GIL);
- ``GROWAPP_REDIS_URL`` set: ``RqQueue``, RQ on Redis; ``flask --app growapp worker`` runs
  the workers (each job in a forked work horse) and the periodic tasks. When Redis is down,
  creating a job fails with ``Unavailable`` (503) and ``/readyz`` says so: there is no
  silent fall-back to the embedded pool.

Tests use ``InlineQueue`` (``JOBS_BACKEND="inline"``): jobs run when the test says so,
inside the test's transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Protocol

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from ..models import Job
from ..services import jobs as job_service

log = logging.getLogger(__name__)

_PENDING = "growapp_jobs_pending"
_HOOKED = "growapp_jobs_hooked"


class JobQueue(Protocol):
    name: str

    def check(self) -> None:
        """Raise ``Unavailable`` when no job could be queued now."""

    def enqueue(self, job_id: int) -> None: ...

    def ready(self) -> dict:
        """What /readyz reports about the queue, e.g. ``{"redis": True}``; {} for none."""


def queue_from_settings(settings: Mapping, *,
                        on_lost: Callable[[int, str], None] | None = None) -> JobQueue:
    backend = (settings.get("JOBS_BACKEND")
               or ("rq" if settings.get("REDIS_URL") else "process")).lower()
    if backend == "rq":
        from .redis_queue import RqQueue

        if not settings.get("REDIS_URL"):
            raise ValueError("JOBS_BACKEND=rq needs GROWAPP_REDIS_URL")
        return RqQueue(settings["REDIS_URL"], queue_name=settings.get("JOB_QUEUE") or "growapp")
    if backend == "process":
        from .pool import ProcessPoolQueue

        return ProcessPoolQueue(settings, workers=int(settings.get("JOB_WORKERS") or 1),
                                on_lost=on_lost)
    if backend == "inline":
        from .inline import InlineQueue

        return InlineQueue()
    raise ValueError(f"unknown JOBS_BACKEND {backend!r} (use 'process', 'rq' or 'inline')")


def submit_job(session: Session, queue: JobQueue, job: Job) -> None:
    """Hand ``job`` to ``queue`` once ``session`` commits (a worker must see the row).

    Raises ``Unavailable`` now when the queue cannot take jobs, so the caller's write —
    the job row and the print record — is rolled back with a clear answer."""
    queue.check()
    session.flush()
    session.info.setdefault(_PENDING, []).append((queue, job.id))
    if not session.info.get(_HOOKED):
        event.listen(session, "after_commit", _after_commit)
        event.listen(session, "after_soft_rollback", _after_rollback)
        session.info[_HOOKED] = True


def _after_commit(session: Session) -> None:
    for queue, job_id in session.info.pop(_PENDING, []):
        try:
            queue.enqueue(job_id)
        except Exception:  # the row is committed: say why it will never run
            log.exception("could not queue job %s on %s", job_id, queue.name)
            fail_lost_job(sessionmaker(bind=session.get_bind(), expire_on_commit=False),
                          job_id, job_service.LOST_QUEUE)


def _after_rollback(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:
        session.info.pop(_PENDING, None)


def fail_lost_job(session_factory: Callable[[], Session], job_id: int, reason: str) -> None:
    """Mark a job failed from outside its runner (its process died, it was never queued)."""
    try:
        with session_factory() as session:
            if job_service.fail_job(session, job_id=job_id, error=reason):
                session.commit()
    except Exception:  # pragma: no cover - the database is gone too; the sweep will tell
        log.exception("could not mark job %s failed", job_id)


__all__ = ["JobQueue", "fail_lost_job", "queue_from_settings", "submit_job"]
