"""The worker's side of alert deliveries: claim the due ones (committed), send each with
no transaction open, write down the outcome (committed). See
``services.alert_deliveries`` for the claim and the backoff."""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.orm import Session

from ..services import alert_deliveries as deliveries
from . import webhook
from .mailer import MailNotConfigured, send_email

log = logging.getLogger(__name__)


def tent_link(settings: Mapping, payload: dict) -> str | None:
    base = settings.get("PUBLIC_BASE_URL")
    alert = payload.get("alert") or {}
    if not base or not alert:
        return None
    return (f"{base}/experiments/{alert['experiment']['id']}/tents/{alert['tent']['id']}"
            "/environment")


def _email_parts(claimed: deliveries.Claimed, link: str | None) -> tuple[str, str]:
    payload = claimed.payload
    if claimed.event == "test":
        return ("[growapp] Test message", "This is a test of a growapp alert channel. "
                f"Alerts of every tent will arrive here.\n\nSent by {payload.get('by', '')}.\n")
    alert = payload["alert"]
    tent, exp = alert["tent"], alert["experiment"]
    where = f"{tent['code']} ({tent['name']}) in {exp['name']}"
    if claimed.event == "raised":
        subject = f"[growapp] {tent['code']}: {alert['detail']}"
        text = f"Alert in tent {where}:\n\n{alert['detail']}\n\nRaised at {alert['raised_at']}.\n"
    else:
        subject = f"[growapp] {tent['code']} back to normal"
        text = (f"Tent {where} is back to normal.\n\nThe alert was: {alert['detail']}\n"
                f"Cleared at {alert['cleared_at']}.\n")
    if link:
        text += f"\nThe tent's page: {link}\n"
    return subject, text


def deliver(claimed: deliveries.Claimed, settings: Mapping) -> webhook.Outcome:
    """Send one claimed delivery. Never raises."""
    link = tent_link(settings, claimed.payload)
    if claimed.problem:
        return webhook.Outcome(False, None, claimed.problem)
    if claimed.kind == "webhook":
        event = claimed.payload.get("event", claimed.event)
        return webhook.post(claimed.url, secret=claimed.secret, event=event,
                            delivery=claimed.key, production=settings.get("ENV") == "production",
                            body=webhook.body_for(claimed.payload, delivery=claimed.key,
                                                  link=link))
    subject, text = _email_parts(claimed, link)
    try:
        send_email(settings, to=claimed.email, subject=subject, text=text)
    except MailNotConfigured as exc:
        return webhook.Outcome(False, None, str(exc))
    except (OSError, smtplib.SMTPException) as exc:
        return webhook.Outcome(False, None, f"The mail server refused: {exc}")
    return webhook.Outcome(True)


def send_due_deliveries(session: Session, *, settings: Mapping,
                        now: datetime | None = None) -> int:
    """One pass: returns how many deliveries were attempted."""
    claimed = deliveries.claim_due(session, now=now)
    session.commit()  # the claims are visible to other workers before anything is sent
    for c in claimed:
        outcome = deliver(c, settings)
        if not outcome.ok:
            log.warning("alert delivery %s to channel %s failed: %s", c.key, c.channel_id,
                        outcome.error)
        deliveries.record_result(session, claimed=c, ok=outcome.ok, error=outcome.error,
                                 response_status=outcome.status, now=now)
        session.commit()
    return len(claimed)
