"""Running background jobs in tests."""

from __future__ import annotations

import time

from sqlalchemy import select
from sqlalchemy.orm import Session

from growapp.models import Job


def run_jobs(app) -> list[str]:
    """Run the jobs the inline queue (JOBS_BACKEND="inline") holds, in the test's
    transaction. Returns their final statuses."""
    return app.extensions["growapp_jobs"].run_pending(
        app.extensions["growapp_db"].session_factory,
        storage=app.extensions["growapp_storage"])


def wait_for_status(engine, job_id: int, statuses: set[str], timeout: float = 120) -> Job:
    """Poll the database (outside any test transaction) until the job reaches a status."""
    deadline = time.monotonic() + timeout
    while True:
        with Session(engine) as s:
            job = s.scalar(select(Job).where(Job.id == job_id))
            if job is not None and job.status in statuses:
                s.expunge(job)
                return job
        if time.monotonic() > deadline:
            raise AssertionError(f"job {job_id} is {job.status if job else 'missing'}, "
                                 f"not {statuses}, after {timeout} s")
        time.sleep(0.2)
