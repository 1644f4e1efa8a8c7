"""Background jobs: GET /jobs/{id} (progress, error, download link) and GET
/jobs/{id}/file (the file, streamed; 410 once it expired). Jobs are started by their own
kind's route, e.g. POST /experiments/{id}/labels/jobs."""

from __future__ import annotations

from uuid import UUID

from flask import url_for
from flask_login import current_user
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from ..extensions import file_storage
from ..http.stored_files import stored_file_response
from ..models import Job
from ..services import jobs as job_service
from .framework import endpoint

TAG = "Jobs"
MIMETYPES = {"labels": "application/pdf", "export": "text/csv"}


class JobProgress(BaseModel):
    done: int
    total: int


class JobOut(BaseModel):
    id: UUID = Field(description="The job's uuid: GET /api/v1/jobs/{id}.")
    kind: str = Field(description="labels | export")
    status: str = Field(description="queued | running | done | failed | expired")
    progress: float = Field(description="0.0–1.0")
    counts: JobProgress = Field(description="Items done of the total (labels for a label "
                                            "job, copies included).")
    error: str | None = Field(None, description="Why it failed or expired, in a sentence.")
    download_url: str | None = Field(None, description="When done: GET it with the same "
                                                       "token to stream the file.")
    experiment_id: int | None = None
    created_at: str
    finished_at: str | None = None


def job_out(job: Job) -> JobOut:
    state = job_service.job_state(job)
    error = job_service.job_error(job) or None
    return JobOut(
        id=job.uuid, kind=job.kind, status=state,
        progress=job_service.progress(job),
        counts=JobProgress(done=job.done, total=job.total), error=error,
        download_url=url_for("api.job_file", job_uuid=job.uuid) if state == "done" else None,
        experiment_id=job.experiment_id, created_at=job.created_at.isoformat(),
        finished_at=job.finished_at.isoformat() if job.finished_at else None)


@endpoint("/jobs/<uuid:job_uuid>", "GET", tag=TAG, response=JobOut, errors=(404,),
          summary="A background job: status, progress, error, download_url when done")
def get_job(session: Session, job_uuid: UUID):
    return job_out(job_service.get_job(session, job_uuid=job_uuid, actor=current_user))


@endpoint("/jobs/<uuid:job_uuid>/file", "GET", tag=TAG, errors=(404, 409, 410),
          summary="The finished job's file, streamed (application/pdf for labels); 409 "
                  "while it is being made, 410 once it expired", produces="application/pdf")
def job_file(session: Session, job_uuid: UUID):
    job = job_service.get_job(session, job_uuid=job_uuid, actor=current_user)
    key = job_service.job_file_key(job)
    return stored_file_response(file_storage(), key,
                                mimetype=MIMETYPES.get(job.kind, "application/octet-stream"),
                                download_name=job.file_name or key.rsplit("/", 1)[-1])
