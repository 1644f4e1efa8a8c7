"""Outbound alert channels (webhooks, email), their deliveries, and the daily digest's
opt-ins and sent days (issue 14).

Channels are ORM rows and audited (the webhook ``secret`` is masked in the audit log).
Deliveries and digest days are bookkeeping written with Core statements: their unique
keys — (alert, event, channel) and (user, day) — are what makes a second alert check or a
second server deliver nothing twice."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, JSONType, Timestamped

CHANNEL_KINDS = ("webhook", "email")
DELIVERY_EVENTS = ("raised", "cleared", "test")
DELIVERY_STATUSES = ("pending", "sending", "sent", "failed")
DIGEST_STATUSES = ("claimed", "sent", "empty", "failed")


class AlertChannel(Timestamped, Base):
    __tablename__ = "alert_channels"
    __table_args__ = (CheckConstraint("kind IN ('webhook', 'email')", name="kind"),)

    kind: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(80))
    url: Mapped[str] = mapped_column(String(2000), default="")
    # signs webhook bodies; sealed at rest (services/channel_secrets.py, migration 0010)
    secret: Mapped[str] = mapped_column(Text, default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    enabled: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # What the last delivery attempt gave (bookkeeping, written with Core UPDATEs).
    last_attempt_at: Mapped[datetime | None]
    last_ok: Mapped[bool | None]
    last_error: Mapped[str] = mapped_column(Text, default="")


class AlertDelivery(Timestamped, Base):
    """One message to one channel: for an alert's raise or clear (``key`` =
    ``<alert id>:<event>:<channel id>``) or a test. Retried with backoff until sent or
    out of attempts."""

    __tablename__ = "alert_deliveries"
    __table_args__ = (
        CheckConstraint("event IN ('raised', 'cleared', 'test')", name="event"),
        CheckConstraint("status IN ('pending', 'sending', 'sent', 'failed')", name="status"),
        Index("ix_alert_deliveries_due", "status", "next_attempt_at"),
    )

    key: Mapped[str] = mapped_column(String(80), unique=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("alert_channels.id", ondelete="CASCADE"),
                                            index=True)
    alert_id: Mapped[int | None] = mapped_column(
        ForeignKey("environment_alerts.id", ondelete="SET NULL"))
    event: Mapped[str] = mapped_column(String(8))
    payload: Mapped[dict] = mapped_column(JSONType, default=dict)  # frozen at creation
    status: Mapped[str] = mapped_column(String(8), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    claimed_until: Mapped[datetime | None]
    response_status: Mapped[int | None]  # HTTP status of the last attempt (webhooks)
    last_error: Mapped[str] = mapped_column(Text, default="")
    sent_at: Mapped[datetime | None]


class DigestSubscription(Timestamped, Base):
    """A user who wants the daily digest (the profile's opt-in)."""

    __tablename__ = "digest_subscriptions"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         unique=True)


class DigestDay(Timestamped, Base):
    """One user's digest for one local day: claimed before sending, so two servers (or two
    runs) never send it twice."""

    __tablename__ = "digest_days"
    __table_args__ = (
        UniqueConstraint("user_id", "day"),
        CheckConstraint("status IN ('claimed', 'sent', 'empty', 'failed')", name="status"),
    )

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    day: Mapped[date]
    status: Mapped[str] = mapped_column(String(8), default="claimed")
    items: Mapped[int] = mapped_column(default=0)
    error: Mapped[str] = mapped_column(Text, default="")
