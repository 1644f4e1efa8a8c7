"""Label jobs as services: the frozen selection, the run into the file store, failures
with a sentence, who sees a job, dead runners and expired files."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.orm import sessionmaker

from growapp.jobs.runner import execute_job
from growapp.labels.templates import BUILTIN_BY_SLUG
from growapp.models import Event, Job, utcnow
from growapp.services import jobs as job_service
from growapp.services.errors import Conflict, Gone, NotFound
from growapp.services.labels import jobs as label_jobs
from growapp.services.labels.selection import LabelRequest
from growapp.services.labels.sheet_templates import ensure_label_templates
from growapp.storage import LocalStorage
from tests.helpers import factories as f
from tests.helpers.pdf_scan import assert_qr_matches_code, scan_pdf

BASE = "https://growapp.example.org"


@pytest.fixture
def trial(session):
    ensure_label_templates(session)
    exp, trays, plants, recipe = f.make_running_experiment(session, plants=6, trays=2)
    exp.short_name = "T25"
    session.flush()
    return exp, trays, plants, recipe


@pytest.fixture
def factory(connection):
    return sessionmaker(bind=connection, join_transaction_mode="create_savepoint",
                        expire_on_commit=False)


@pytest.fixture
def storage(tmp_path):
    return LocalStorage(tmp_path)


def _job(session, exp, actor=None, **request) -> Job:
    job = label_jobs.create_label_job(session, experiment_id=exp.id, base_url=BASE,
                                      actor=actor or f.make_user(session),
                                      request=LabelRequest(**request))
    session.commit()
    return job


def test_background_job_runs_to_a_file(session, factory, storage, trial):
    exp, _trays, plants, _recipe = trial
    operator = f.make_user(session)
    job = _job(session, exp, operator, template="avery-l7651", copies=2)
    assert (job.kind, job.status, job.total, len(job.options["ids"])) == \
        ("labels", "queued", 12, 6)
    assert session.query(Event).filter_by(kind="labels.plants_printed").count() == 1
    assert execute_job(factory, storage=storage, job_id=job.id) == "done"
    session.expire_all()
    job = session.get(Job, job.id)
    assert (job.status, job.done, job.file_key) == ("done", 12, f"labels/{job.uuid}.pdf")
    assert job.finished_at and job.heartbeat_at and job.runner
    assert job.file_name == "t25-plants-labels-avery-l7651.pdf"
    with storage.open(job_service.job_file_key(job)) as fh:
        scans = scan_pdf(fh.read(), BUILTIN_BY_SLUG["avery-l7651"])
    assert assert_qr_matches_code(scans, {f"{BASE}/p/{p.uuid}": p.plant_code
                                          for p in plants}) == 12
    assert label_jobs.get_label_job(session, experiment_id=exp.id, job_uuid=job.uuid,
                                    actor=operator) is job
    assert execute_job(factory, storage=storage, job_id=job.id) == "skipped"  # run once


def test_job_replays_its_frozen_selection(session, factory, storage, trial):
    """"Needs label" is decided when the job is created, not when it runs."""
    job = _job(session, trial[0], plant_filter="needs_label")
    assert execute_job(factory, storage=storage, job_id=job.id) == "done"
    session.expire_all()
    assert session.get(Job, job.id).done == 6


def test_failed_job_keeps_a_sentence(session, factory, storage, trial):
    job = _job(session, trial[0])
    job.options = {**job.options, "start": 99}
    session.commit()
    assert execute_job(factory, storage=storage, job_id=job.id) == "failed"
    session.expire_all()
    job = session.get(Job, job.id)
    assert job.status == "failed" and "from 1 to 30" in job.error
    assert job_service.job_error(job) == job.error
    with pytest.raises(Conflict):
        job_service.job_file_key(job)


def test_jobs_belong_to_their_user(session, trial):
    exp = trial[0]
    owner, other, admin = (f.make_user(session, role=r) for r in ("viewer", "operator",
                                                                   "admin"))
    job = _job(session, exp, owner)  # viewers print too
    with pytest.raises(NotFound):
        label_jobs.get_label_job(session, experiment_id=exp.id, job_uuid=job.uuid, actor=other)
    with pytest.raises(NotFound):
        label_jobs.get_label_job(session, experiment_id=exp.id + 1, job_uuid=job.uuid,
                                 actor=owner)
    with pytest.raises(NotFound):
        job_service.get_job(session, job_uuid="not-a-uuid", actor=owner)
    assert label_jobs.get_label_job(session, experiment_id=exp.id, job_uuid=job.uuid,
                                    actor=admin)
    assert job_service.get_job(session, job_uuid=job.uuid, actor=owner) is job
    assert label_jobs.recent_label_jobs(session, experiment_id=exp.id, actor=owner) == [job]
    assert label_jobs.recent_label_jobs(session, experiment_id=exp.id, actor=other) == []


def test_a_running_job_without_heartbeat_is_failed_within_a_minute(session, trial):
    job = _job(session, trial[0])
    assert job_service.claim_job(session, job_id=job.id, runner="test:1")
    session.commit()
    session.refresh(job)
    assert job_service.job_state(job) == "running"
    later = job.heartbeat_at + job_service.DEAD_AFTER + timedelta(seconds=1)
    assert job_service.job_state(job, now=later) == "failed"
    assert job_service.job_error(job, now=later) == \
        "The worker stopped while rendering; start it again."
    # The worker's periodic task writes it down.
    session.execute(update(Job).where(Job.id == job.id).values(
        heartbeat_at=utcnow() - timedelta(seconds=90)))
    assert job_service.fail_dead_jobs(session) == 1
    session.refresh(job)
    assert job.status == "failed" and job.error == job_service.DEAD_RUNNER


def test_a_queued_job_nobody_takes_is_failed(session, trial):
    job = _job(session, trial[0])
    assert job_service.job_state(job) == "queued" and job_service.job_error(job) == ""
    later = utcnow() + job_service.UNCLAIMED_AFTER + timedelta(seconds=1)
    assert job_service.job_state(job, now=later) == "failed"
    assert "flask worker" in job_service.job_error(job, now=later)
    assert job_service.fail_dead_jobs(session, now=later) == 1


def test_old_files_are_deleted_and_the_job_answers_gone(session, factory, storage, trial):
    job = _job(session, trial[0], template="thermal-50x25", tray="TR1")
    assert execute_job(factory, storage=storage, job_id=job.id) == "done"
    session.expire_all()
    job = session.get(Job, job.id)
    key = job.file_key
    assert storage.exists(key)
    assert job_service.expire_job_files(session, storage=storage) == 0  # still fresh
    later = utcnow() + timedelta(hours=25)
    assert job_service.expire_job_files(session, storage=storage, now=later) == 1
    session.refresh(job)
    assert job.status == "expired" and not storage.exists(key)
    with pytest.raises(Gone) as err:
        job_service.job_file_key(job)
    assert "deleted 24 hours after" in err.value.detail


def test_one_user_has_at_most_two_label_jobs_at_a_time(session, trial):
    exp = trial[0]
    user = f.make_user(session)
    first, _second = _job(session, exp, actor=user), _job(session, exp, actor=user)
    with pytest.raises(Conflict, match="already have 2 label sheets") as err:
        _job(session, exp, actor=user)
    assert err.value.diagnostics == {"label_jobs_running": 2, "limit": 2}
    _job(session, exp)  # another user is not held up
    session.execute(update(Job).where(Job.id == first.id).values(status="done"))
    assert _job(session, exp, actor=user).status == "queued"
