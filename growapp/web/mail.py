"""Outgoing email (invites, password-reset links) from requests, through the optional SMTP
settings and the shared mailer (``notifications/mailer.py``, which the worker's alert
deliveries and digests use too).

``send_mail_after_commit`` is the outbox for every mail a request sends (an admin's
invite or password reset, "forgot password"): the message is handed to this process's mail
thread once the request's transaction commits (nothing goes when it rolls back), so a slow
SMTP server never holds the worker, and for "forgot password" the time taken cannot tell
whether the address has an account. The admin's page shows the link either way. SMTP is
network waiting, not CPU, so a thread (not the job pool's processes) is the right size; a
message still queued when the process stops is sent before it exits (the executor is
joined at exit), and one lost to a crash leaves an unused link that expires: the person
asks again (or the admin copies the link from the page).
"""

from __future__ import annotations

import logging
import smtplib
import threading
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor, wait

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from ..notifications.mailer import send_email, smtp_configured

log = logging.getLogger(__name__)

_SMTP_KEYS = ("SMTP_HOST", "SMTP_PORT", "SMTP_FROM", "SMTP_USER", "SMTP_PASSWORD")
_PENDING = "growapp_mail_pending"
_HOOKED = "growapp_mail_hooked"
_lock = threading.Lock()
_executor: ThreadPoolExecutor | None = None
_futures: set[Future] = set()


def mail_configured() -> bool:
    return smtp_configured(current_app.config)


def _deliver(cfg: Mapping, to: str, subject: str, body: str) -> bool:
    try:
        send_email(cfg, to=to, subject=subject, text=body)
    except (OSError, smtplib.SMTPException):
        log.exception("could not send %r email to %s", subject, to)
        return False
    return True


def send_mail_after_commit(session: Session, to: str, subject: str, body: str) -> None:
    """Queue one plain-text email; the mail thread sends it after ``session`` commits
    (nothing is sent when it rolls back). Failures are logged there."""
    cfg = {key: current_app.config.get(key) for key in _SMTP_KEYS}
    if not cfg["SMTP_HOST"]:
        return
    session.info.setdefault(_PENDING, []).append((cfg, to, subject, body))
    if not session.info.get(_HOOKED):
        event.listen(session, "after_commit", _after_commit)
        event.listen(session, "after_soft_rollback", _after_rollback)
        session.info[_HOOKED] = True


def _after_commit(session: Session) -> None:
    for message in session.info.pop(_PENDING, []):
        _submit(*message)


def _after_rollback(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:
        session.info.pop(_PENDING, None)


def _submit(cfg: Mapping, to: str, subject: str, body: str) -> None:
    global _executor
    with _lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="growapp-mail")
        future = _executor.submit(_deliver, cfg, to, subject, body)
        _futures.add(future)
    future.add_done_callback(_done)


def _done(future: Future) -> None:
    with _lock:
        _futures.discard(future)


def wait_sent(timeout: float | None = None) -> None:
    """Wait until the queued mail has been handed to SMTP (tests; a command's exit)."""
    with _lock:
        pending = list(_futures)
    wait(pending, timeout=timeout)
