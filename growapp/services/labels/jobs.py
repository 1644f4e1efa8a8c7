"""Large prints as background jobs: the selection is frozen into a ``jobs`` row when the
job is created (and the print recorded then), and ``render_label_job`` turns it into a PDF
in the file store (``labels/<job uuid>.pdf``). ``growapp.jobs`` runs it in a worker.
"""

from __future__ import annotations

import io
from collections.abc import Callable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...labels.pdf import render_pdf
from ...models import Job, User
from .. import jobs as job_service
from ..errors import Conflict
from .printing import record_print
from .selection import LabelRequest, prepare_labels

KIND = "labels"
PER_USER = 2  # label jobs one user may have queued or running at a time


def create_label_job(session: Session, *, experiment_id: int, request: LabelRequest,
                     base_url: str | None, actor: User | None) -> Job:
    """Freeze the selection into a queued job and record the print. The caller hands the
    job to ``growapp.jobs.submit_job`` (it starts after the commit). Any signed-in user may:
    printing changes no trial data. Raises what prepare_labels raises, and Conflict when
    the user already has PER_USER label jobs queued or running."""
    prepared = prepare_labels(session, experiment_id=experiment_id, request=request,
                              base_url=base_url)
    if actor is not None:
        busy = session.scalar(select(func.count(Job.id)).where(
            Job.user_id == actor.id, Job.kind == KIND, Job.status.in_(("queued", "running"))))
        if busy >= PER_USER:
            raise Conflict(f"You already have {busy} label sheets being made. Wait for one "
                           "to finish, then start this one.",
                           {"label_jobs_running": busy, "limit": PER_USER})
    req = prepared.request
    job = Job(kind=KIND, experiment_id=experiment_id, user_id=actor.id if actor else None,
              status="queued", total=prepared.count, done=0, file_name=prepared.filename,
              options={"kind": req.kind, "template": req.template,
                       "fields": list(req.fields), "start": req.start,
                       "copies": req.copies, "ids": prepared.ids, "base_url": base_url,
                       "filename": prepared.filename, "plant_filter": req.plant_filter,
                       "tray": req.tray})
    session.add(job)
    record_print(session, prepared, actor)
    session.flush()
    return job


def get_label_job(session: Session, *, experiment_id: int, job_uuid, actor: User) -> Job:
    """A label job of this experiment, for the user who started it and admins. Raises
    NotFound otherwise."""
    return job_service.get_job(session, job_uuid=job_uuid, actor=actor,
                               experiment_id=experiment_id, kind=KIND)


def recent_label_jobs(session: Session, *, experiment_id: int, actor: User,
                      limit: int = 5) -> list[Job]:
    return job_service.recent_jobs(session, actor=actor, kind=KIND,
                                   experiment_id=experiment_id, limit=limit)


def label_file_key(job: Job) -> str:
    return f"labels/{job.uuid}.pdf"


def render_label_job(session: Session, *, job: Job, storage,
                     progress: Callable[[int, int | None], None], workers: int = 1
                     ) -> tuple[str, str, int]:
    """Render a claimed job's frozen selection into the file store. Returns (file key,
    download name, labels). Raises what prepare_labels raises (a label template deleted
    since, say); the runner stores the sentence on the job."""
    options = dict(job.options)
    request = LabelRequest(kind=options["kind"], template=options["template"],
                           fields=tuple(options.get("fields", ())),
                           start=options["start"], copies=options["copies"])
    prepared = prepare_labels(session, experiment_id=job.experiment_id, request=request,
                              base_url=options.get("base_url"), ids=options["ids"])
    key = label_file_key(job)
    name = options.get("filename") or prepared.filename
    session.rollback()  # no transaction stays open while the PDF renders
    progress(0, prepared.count)
    pdf = render_pdf(prepared.template, prepared.labels, start=request.start,
                     title=prepared.title, workers=workers,
                     progress=lambda done: progress(done, None))
    storage.save(key, io.BytesIO(pdf), content_type="application/pdf")
    return key, name, prepared.count
