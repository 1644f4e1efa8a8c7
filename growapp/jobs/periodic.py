"""Periodic tasks the worker runs (``flask worker``): jobs whose runner died are marked
failed with the reason, and generated files older than JOB_FILE_TTL_HOURS are deleted (the
job then answers 410); sign-in bookkeeping no limit reads any more is deleted; alert
deliveries and daily digests are sent (webhook secrets stored before 0010 sealed first).
Later issues add theirs to ``TASKS``."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import timedelta

from sqlalchemy.orm import Session

from ..notifications import digest_mail, sender
from ..services import channel_secrets, password_reset, signin
from ..services import jobs as job_service
from ..services.environment import alerts as env_alerts
from ..services.environment import readings as env_readings

log = logging.getLogger(__name__)

INTERVAL = 30  # seconds between runs


def fail_dead_jobs(session: Session, *, settings: Mapping, storage) -> int:
    return job_service.fail_dead_jobs(session)


def expire_job_files(session: Session, *, settings: Mapping, storage) -> int:
    hours = float(settings.get("JOB_FILE_TTL_HOURS") or 24)
    return job_service.expire_job_files(session, storage=storage, ttl=timedelta(hours=hours))


def check_environment_alerts(session: Session, *, settings: Mapping, storage) -> int:
    return len(env_alerts.check_alerts(session))


def prune_readings(session: Session, *, settings: Mapping, storage) -> int:
    """Raw readings older than READINGS_KEEP_DAYS go; their hourly roll-ups stay."""
    return env_readings.prune_readings(
        session, keep_days=float(settings.get("READINGS_KEEP_DAYS") or 0))


def prune_sign_in_records(session: Session, *, settings: Mapping, storage) -> int:
    """Expired sign-in failures and throttle rows, and password-reset requests that are
    neither usable nor counted by the hourly limit any more."""
    window = int(settings.get("LOGIN_WINDOW_MINUTES") or 15)
    return (signin.prune_sign_in_records(session, window_minutes=window)
            + password_reset.prune_password_resets(session))


def seal_webhook_secrets(session: Session, *, settings: Mapping, storage) -> int:
    """Webhook secrets stored before they were sealed at rest (migration 0010) get sealed."""
    return channel_secrets.seal_plaintext(session)


def send_alert_deliveries(session: Session, *, settings: Mapping, storage) -> int:
    """Webhooks and emails for alerts raised or cleared (and admins' tests), with retries;
    runs after the alert check so a new alert goes out in the same pass."""
    return sender.send_due_deliveries(session, settings=settings)


def send_daily_digests(session: Session, *, settings: Mapping, storage) -> int:
    """Each opted-in user's digest of due work, once per local day from DIGEST_HOUR."""
    return digest_mail.send_daily_digests(session, settings=settings)


TASKS: list[Callable[..., int]] = [fail_dead_jobs, expire_job_files, check_environment_alerts,
                                   prune_readings, prune_sign_in_records,
                                   seal_webhook_secrets, send_alert_deliveries,
                                   send_daily_digests]


def run_periodic(session_factory: Callable[[], Session], *, settings: Mapping,
                 storage) -> dict[str, int]:
    """Run every task in its own transaction; one failing does not stop the others."""
    done: dict[str, int] = {}
    for task in TASKS:
        try:
            with session_factory() as session:
                session.info["request_id"] = f"periodic-{task.__name__}"
                done[task.__name__] = task(session, settings=settings, storage=storage)
                session.commit()
        except Exception:
            log.exception("periodic task %s failed", task.__name__)
    return done
