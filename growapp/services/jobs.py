"""Background jobs as rows: who may see one, what state it is really in, and the
bookkeeping the runner does (claim, heartbeat, finish, fail) plus the periodic sweep
(dead runners, expired files).

How a job is *run* is ``growapp.jobs`` (a process pool, or RQ on Redis); what a job of
each kind does lives with its kind (``services.labels.jobs``). Services flush; the runner
and the periodic task commit.
"""

from __future__ import annotations

import logging
import uuid as uuid_mod
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from ..models import Job, User, utcnow
from .errors import Conflict, Gone, NotFound

log = logging.getLogger(__name__)

HEARTBEAT_EVERY = 5  # seconds between heartbeats of a running job
DEAD_AFTER = timedelta(seconds=60)  # running, no heartbeat for this long: the runner died
UNCLAIMED_AFTER = timedelta(minutes=10)  # queued this long and no worker took it
FILE_TTL = timedelta(hours=24)  # generated files are deleted this long after they are made

DEAD_RUNNER = "The worker stopped while rendering; start it again."
NEVER_STARTED = ("No worker started this job in 10 minutes (is `flask worker` running?); "
                 "start it again.")
EXPIRED = "This file was deleted {hours} hours after it was made; start the job again."
LOST_QUEUE = "The job queue could not be reached, so this job never started; start it again."


def job_state(job: Job, now: datetime | None = None) -> str:
    """The status to show: a running job without a heartbeat for DEAD_AFTER, or a queued
    one nobody took for UNCLAIMED_AFTER, is failed even before the sweep marks it."""
    return _effective(job, now or utcnow())[0]


def job_error(job: Job, now: datetime | None = None) -> str:
    """The sentence to show for a failed (or expired) job; "" otherwise."""
    return _effective(job, now or utcnow())[1]


def _effective(job: Job, now: datetime) -> tuple[str, str]:
    if job.status == "running":
        last = job.heartbeat_at or job.started_at or job.updated_at
        if last is not None and now - last > DEAD_AFTER:
            return "failed", DEAD_RUNNER
    elif job.status == "queued":
        if job.created_at is not None and now - job.created_at > UNCLAIMED_AFTER:
            return "failed", NEVER_STARTED
    elif job.status == "failed":
        return "failed", job.error or "The job failed."
    elif job.status == "expired":
        return "expired", job.error or EXPIRED.format(hours=_hours(FILE_TTL))
    return job.status, ""


def _hours(ttl: timedelta) -> int:
    return max(1, round(ttl.total_seconds() / 3600))


def progress(job: Job) -> float:
    """0.0–1.0."""
    if job.status in ("done", "expired"):
        return 1.0
    return round(min(job.done / job.total, 1.0), 3) if job.total else 0.0


def _uuid(value) -> uuid_mod.UUID:
    try:
        return value if isinstance(value, uuid_mod.UUID) else uuid_mod.UUID(str(value))
    except ValueError as exc:
        raise NotFound("There is no such job.") from exc


def get_job(session: Session, *, job_uuid, actor: User | None,
            experiment_id: int | None = None, kind: str | None = None) -> Job:
    """A job, visible to the user who started it and to admins. Raises NotFound otherwise
    (never telling other users' jobs apart from missing ones)."""
    stmt = select(Job).where(Job.uuid == _uuid(job_uuid))
    if experiment_id is not None:
        stmt = stmt.where(Job.experiment_id == experiment_id)
    if kind is not None:
        stmt = stmt.where(Job.kind == kind)
    job = session.scalar(stmt)
    if job is None or actor is None or (job.user_id != actor.id and not actor.has_role("admin")):
        raise NotFound("There is no such job.")
    return job


def recent_jobs(session: Session, *, actor: User, kind: str, experiment_id: int | None = None,
                limit: int = 5) -> list[Job]:
    stmt = select(Job).where(Job.user_id == actor.id, Job.kind == kind)
    if experiment_id is not None:
        stmt = stmt.where(Job.experiment_id == experiment_id)
    return list(session.scalars(stmt.order_by(Job.id.desc()).limit(limit)))


def job_file_key(job: Job, now: datetime | None = None) -> str:
    """The storage key of a finished job's file. Raises Conflict (not ready, failed) or
    Gone (the file expired)."""
    state, error = _effective(job, now or utcnow())
    if state == "expired":
        raise Gone(error)
    if state != "done" or not job.file_key:
        raise Conflict(error or "This file is not ready yet.",
                       {"status": state, "done": job.done, "total": job.total})
    return job.file_key


# What the runner writes (Core UPDATEs: bookkeeping, not data changes for the audit log) --

def _set(session: Session, job_id: int, *conditions, **values) -> bool:
    result = session.execute(update(Job).where(Job.id == job_id, *conditions)
                             .values(updated_at=utcnow(), **values))
    session.flush()
    return bool(result.rowcount)


def claim_job(session: Session, *, job_id: int, runner: str) -> bool:
    """queued → running. False when the job is gone, already finished or taken."""
    now = utcnow()
    return _set(session, job_id, Job.status == "queued", status="running", runner=runner[:120],
                started_at=now, heartbeat_at=now, done=0)


def beat(session: Session, *, job_id: int, done: int | None = None,
         total: int | None = None) -> None:
    values: dict = {"heartbeat_at": utcnow()}
    if done is not None:
        values["done"] = done
    if total is not None:
        values["total"] = total
    _set(session, job_id, Job.status == "running", **values)


def finish_job(session: Session, *, job_id: int, file_key: str, file_name: str,
               total: int) -> None:
    _set(session, job_id, Job.status == "running", status="done", done=total, total=total,
         file_key=file_key, file_name=file_name[:200], finished_at=utcnow(), error="")


def fail_job(session: Session, *, job_id: int, error: str) -> bool:
    return _set(session, job_id, Job.status.in_(("queued", "running")), status="failed",
                error=error[:2000], finished_at=utcnow())


# The periodic sweep ------------------------------------------------------------------------

def fail_dead_jobs(session: Session, *, now: datetime | None = None) -> int:
    """Mark failed, with the reason, every job whose runner died or that nobody took."""
    now = now or utcnow()
    dead = session.execute(
        update(Job).where(Job.status == "running",
                          or_(Job.heartbeat_at < now - DEAD_AFTER,
                              Job.heartbeat_at.is_(None) & (Job.updated_at < now - DEAD_AFTER)))
        .values(status="failed", error=DEAD_RUNNER, finished_at=now, updated_at=now)).rowcount
    never = session.execute(
        update(Job).where(Job.status == "queued", Job.created_at < now - UNCLAIMED_AFTER)
        .values(status="failed", error=NEVER_STARTED, finished_at=now, updated_at=now)).rowcount
    session.flush()
    return (dead or 0) + (never or 0)


def expire_job_files(session: Session, *, storage, ttl: timedelta = FILE_TTL,
                     now: datetime | None = None) -> int:
    """Delete the files of jobs finished more than ``ttl`` ago; those jobs then answer 410."""
    now = now or utcnow()
    jobs = list(session.scalars(select(Job).where(Job.status == "done",
                                                  Job.finished_at < now - ttl)))
    for job in jobs:
        if job.file_key:
            storage.delete(job.file_key)
        session.execute(update(Job).where(Job.id == job.id).values(
            status="expired", file_key="", updated_at=now,
            error=EXPIRED.format(hours=_hours(ttl))))
    session.flush()
    return len(jobs)
