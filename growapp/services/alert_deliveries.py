"""Alert deliveries as an outbox: the alert check records one row per (alert, event,
channel) in its own transaction — a unique key, so a second check or a second server adds
nothing — and the worker sends them later (``growapp.notifications.sender``), never
inside a request or the check's transaction.

Sending is claim → send → record, each step its own short transaction: a claim is a
conditional UPDATE with a lease (``claimed_until``), so two workers never send one row at
the same time, and a worker that died mid-send gives the row back when the lease ends.
Failures are retried with growing delays (``BACKOFF``) until ``MAX_ATTEMPTS``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..models import AlertChannel, AlertDelivery, EnvironmentAlert, Experiment, Tent, utcnow
from . import channel_secrets

# Delay before attempt n+1 after n failed attempts: 1 min, 5 min, 15 min, 1 h, 3 h, 6 h.
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15),
           timedelta(hours=1), timedelta(hours=3), timedelta(hours=6))
MAX_ATTEMPTS = len(BACKOFF) + 1
LEASE = timedelta(minutes=2)  # a claimed delivery is the claimer's for this long
BATCH = 20  # deliveries claimed per pass


def alert_payload(alert: EnvironmentAlert, tent: Tent, experiment: Experiment,
                  event: str) -> dict:
    """What a webhook receives about an alert (``link`` is added when it is sent)."""
    return {"event": f"alert.{event}", "alert": {
        "id": alert.id, "kind": alert.kind, "quantity": alert.quantity, "detail": alert.detail,
        "raised_at": alert.raised_at.isoformat(),
        "cleared_at": alert.cleared_at.isoformat() if alert.cleared_at else None,
        "tent": {"id": tent.id, "code": tent.code, "name": tent.name},
        "experiment": {"id": experiment.id, "name": experiment.name}}}


def delivery_key(alert_id: int, event: str, channel_id: int) -> str:
    return f"{alert_id}:{event}:{channel_id}"


def queue_alert_deliveries(session: Session, *, changes: list[tuple[EnvironmentAlert, bool]],
                           now: datetime | None = None) -> int:
    """One delivery per enabled channel for each raised or cleared alert, unless that
    (alert, event, channel) has one already. Returns how many were added."""
    if not changes:
        return 0
    channels = session.scalars(select(AlertChannel.id).where(AlertChannel.enabled)).all()
    if not channels:
        return 0
    session.flush()  # alert ids
    now = now or utcnow()
    tent_ids = {a.tent_id for a, _ in changes}
    places = {t.id: (t, e) for t, e in session.execute(
        select(Tent, Experiment).join(Experiment, Experiment.id == Tent.experiment_id)
        .where(Tent.id.in_(tent_ids)))}
    rows = []
    for alert, raised in changes:
        event = "raised" if raised else "cleared"
        tent, experiment = places[alert.tent_id]
        payload = alert_payload(alert, tent, experiment, event)
        rows += [{"key": delivery_key(alert.id, event, c), "channel_id": c, "alert_id": alert.id,
                  "event": event, "payload": payload, "status": "pending", "attempts": 0,
                  "next_attempt_at": now, "last_error": "", "created_at": now,
                  "updated_at": now} for c in channels]
    mod = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = mod.insert(AlertDelivery).values(rows).on_conflict_do_nothing(
        index_elements=["key"]).returning(AlertDelivery.id)
    return len(session.execute(stmt).all())


@dataclass
class Claimed:
    """A claimed delivery and what sending it needs, read before the claim commits."""

    id: int
    key: str
    event: str
    attempts: int  # before this one
    payload: dict
    channel_id: int
    kind: str
    url: str
    secret: str  # opened (it is stored sealed)
    email: str
    problem: str = ""  # why it cannot be sent (a secret no configured key opens)


def claim_due(session: Session, *, now: datetime | None = None,
              limit: int = BATCH) -> list[Claimed]:
    """Take up to ``limit`` due deliveries of enabled channels (pending and due, or sending
    with an expired lease). Each is claimed by a conditional UPDATE, so a row another
    worker took in the meantime is left alone. The caller commits, then sends."""
    now = now or utcnow()
    due = or_((AlertDelivery.status == "pending") & (AlertDelivery.next_attempt_at <= now),
              (AlertDelivery.status == "sending") & (AlertDelivery.claimed_until < now))
    rows = session.execute(
        select(AlertDelivery.id, AlertDelivery.key, AlertDelivery.event, AlertDelivery.attempts,
               AlertDelivery.payload, AlertChannel.id, AlertChannel.kind, AlertChannel.url,
               AlertChannel.secret, AlertChannel.email)
        .join(AlertChannel, AlertChannel.id == AlertDelivery.channel_id)
        .where(due, AlertChannel.enabled).order_by(AlertDelivery.next_attempt_at,
                                                   AlertDelivery.id).limit(limit)).all()
    claimed = []
    for r in rows:
        took = session.execute(update(AlertDelivery).where(
            AlertDelivery.id == r[0], AlertDelivery.attempts == r[3], due)
            .values(status="sending", claimed_until=now + LEASE, updated_at=now)).rowcount
        if took:
            secret, problem = r[8], ""
            try:
                secret = channel_secrets.unseal_for(session, secret)
            except channel_secrets.SecretUnreadable as exc:
                secret, problem = "", str(exc)
            claimed.append(Claimed(*r[:8], secret, r[9], problem=problem))
    session.flush()
    return claimed


def record_result(session: Session, *, claimed: Claimed, ok: bool, error: str = "",
                  response_status: int | None = None, now: datetime | None = None) -> str:
    """Write down an attempt: sent, or failed and (while attempts remain) due again after
    the backoff. Also the channel's last attempt. Returns the delivery's new status
    ("taken": the lease had run out and another worker's attempt counts instead)."""
    now = now or utcnow()
    attempts = claimed.attempts + 1
    if ok:
        status, values = "sent", {"sent_at": now, "last_error": ""}
    elif attempts >= MAX_ATTEMPTS:
        status, values = "failed", {"last_error": error[:2000]}
    else:
        status, values = "pending", {"last_error": error[:2000],
                                     "next_attempt_at": now + BACKOFF[attempts - 1]}
    mine = session.execute(update(AlertDelivery).where(
        AlertDelivery.id == claimed.id, AlertDelivery.status == "sending",
        AlertDelivery.attempts == claimed.attempts).values(
        status=status, attempts=attempts, claimed_until=None, response_status=response_status,
        updated_at=now, **values)).rowcount
    if not mine:  # the lease ran out and another worker took the row over
        return "taken"
    session.execute(update(AlertChannel).where(AlertChannel.id == claimed.channel_id).values(
        last_attempt_at=now, last_ok=ok, last_error="" if ok else error[:2000]))
    session.flush()
    return status
