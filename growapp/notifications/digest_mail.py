"""The daily digest email: composed from ``services.digest.due_work`` and sent once per
opted-in user and local day, at or after ``DIGEST_HOUR`` (``GROWAPP_DIGEST_HOUR``, 7) in
``GROWAPP_TIMEZONE``. Nothing is sent on a day with nothing due."""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Mapping
from datetime import date, datetime
from html import escape

from sqlalchemy.orm import Session

from ..models import User, utcnow
from ..services import digest
from ..services.clock import load_zone
from .mailer import MailNotConfigured, send_email

log = logging.getLogger(__name__)

DEFAULT_HOUR = 7


def _lines(d: digest.ExperimentDue, base: str | None) -> list[tuple[str, str | None]]:
    """(text, link or None) for one experiment."""
    page = (lambda path: f"{base}/experiments/{d.experiment_id}/{path}") if base else \
        (lambda path: None)
    out: list[tuple[str, str | None]] = []
    if d.feeding_due:
        out.append((f"Feeding due: {d.feeding_due} plant{'s' if d.feeding_due != 1 else ''}",
                    page("feeding")))
    if d.round_left:
        out.append((f"Weekly round, week {d.round_week}: {d.round_left} of {d.round_total} "
                    "plants to measure", page("observe")))
    for title in d.due_today:
        out.append((f"Today: {title}", page("schedule")))
    for item in d.overdue:
        out.append((f"Overdue since {item}", page("schedule")))
    for alert in d.alerts:
        out.append((f"Alert: {alert}", page("overview")))
    return out


def compose(user: User, due: list[digest.ExperimentDue], *, day: date,
            base: str | None) -> tuple[str, str, str]:
    """(subject, plain text, HTML)."""
    total = sum(d.items for d in due)
    subject = f"growapp: due today, {day:%a %d %b} ({total} item{'s' if total != 1 else ''})"
    text = [f"Good morning {user.display_name},", "", f"What is due today ({day:%A %d %B}):"]
    html = [f"<p>Good morning {escape(user.display_name)},</p>",
            f"<p>What is due today ({day:%A %d %B}):</p>"]
    for d in due:
        lines = _lines(d, base)
        text += ["", d.name] + [f"- {t}" + (f"\n  {link}" if link else "") for t, link in lines]
        html.append(f"<h2>{escape(d.name)}</h2><ul>")
        html += [f"<li><a href=\"{escape(link)}\">{escape(t)}</a></li>" if link else
                 f"<li>{escape(t)}</li>" for t, link in lines]
        html.append("</ul>")
    footer = "You get this because you asked for it on your growapp profile."
    if base:
        footer += f" Turn it off there: {base}/profile"
    text += ["", footer, ""]
    html.append(f"<p>{escape(footer)}</p>")
    return subject, "\n".join(text), "<!doctype html><html><body>" + "".join(html) + \
        "</body></html>"


def send_daily_digests(session: Session, *, settings: Mapping,
                       now: datetime | None = None) -> int:
    """Send today's digests that are due and not yet claimed. Returns how many were sent."""
    now = now or utcnow()
    tz = settings.get("TZINFO") or load_zone(settings.get("TIMEZONE"))
    hour = int(settings.get("DIGEST_HOUR", DEFAULT_HOUR))
    day = digest.local_day_if_due(now, tz=tz, hour=hour)
    if day is None:
        return 0
    session.info["tz"] = tz
    users = digest.subscribers_without_digest(session, day=day)
    if not users:
        return 0
    due = digest.due_work(session, now=now)
    items = sum(d.items for d in due)
    base = settings.get("PUBLIC_BASE_URL")
    sent = 0
    for user in users:
        if not digest.claim_day(session, user_id=user.id, day=day):
            continue  # another server or run has this day
        if not items:
            digest.finish_day(session, user_id=user.id, day=day, status="empty")
            session.commit()
            continue
        session.commit()  # the claim holds before the message leaves
        subject, text, html = compose(user, due, day=day, base=base)
        try:
            send_email(settings, to=user.email, subject=subject, text=text, html=html)
        except (MailNotConfigured, OSError, smtplib.SMTPException) as exc:
            log.warning("digest for %s not sent: %s", user.email, exc)
            digest.finish_day(session, user_id=user.id, day=day, status="failed",
                              items=items, error=str(exc))
        else:
            digest.finish_day(session, user_id=user.id, day=day, status="sent", items=items)
            sent += 1
        session.commit()
    return sent
