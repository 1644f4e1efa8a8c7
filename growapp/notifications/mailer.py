"""Email through the SMTP settings (``GROWAPP_SMTP_*``), for callers without a request:
the worker's alert deliveries and the daily digest. ``web/mail.py`` sends through here too."""

from __future__ import annotations

import smtplib
from collections.abc import Mapping
from email.message import EmailMessage


class MailNotConfigured(RuntimeError):
    pass


def smtp_configured(settings: Mapping) -> bool:
    return bool(settings.get("SMTP_HOST"))


def send_email(settings: Mapping, *, to: str, subject: str, text: str,
               html: str | None = None) -> None:
    """Send one message (plain text, plus an HTML part when given). Raises
    MailNotConfigured, OSError or smtplib.SMTPException."""
    if not settings.get("SMTP_HOST"):
        raise MailNotConfigured("SMTP is not set up (GROWAPP_SMTP_HOST).")
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = settings.get("SMTP_FROM") or "growapp@localhost"
    msg["To"] = to
    msg.set_content(text)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    with smtplib.SMTP(settings["SMTP_HOST"], settings.get("SMTP_PORT") or 587,
                      timeout=10) as smtp:
        smtp.starttls()
        if settings.get("SMTP_USER"):
            smtp.login(settings["SMTP_USER"], settings.get("SMTP_PASSWORD") or "")
        smtp.send_message(msg)
