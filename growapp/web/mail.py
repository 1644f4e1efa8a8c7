"""Outgoing email (invites, password-reset links) through the optional SMTP settings."""

from __future__ import annotations

import logging
import smtplib

from flask import current_app

from ..notifications.mailer import send_email, smtp_configured

log = logging.getLogger(__name__)


def mail_configured() -> bool:
    return smtp_configured(current_app.config)


def send_mail(to: str, subject: str, body: str) -> bool:
    """Send one plain-text email. False when SMTP is not configured or sending failed
    (logged); the caller says so or falls back to showing the link."""
    if not mail_configured():
        return False
    try:
        send_email(current_app.config, to=to, subject=subject, text=body)
    except (OSError, smtplib.SMTPException):
        log.exception("could not send %r email to %s", subject, to)
        return False
    return True
