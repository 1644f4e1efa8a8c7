"""What happened: the activity stream and the tamper-evident audit log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, JSONType, utcnow


class Event(Base):
    """One operator action, in words a person reads (``summary``) and data (``payload``)."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_experiment_at", "experiment_id", "at"),
        Index("ix_events_plant_at", "plant_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    experiment_id: Mapped[int | None] = mapped_column(ForeignKey("experiments.id"))
    plant_id: Mapped[int | None] = mapped_column(ForeignKey("plants.id"))
    tray_id: Mapped[int | None] = mapped_column(ForeignKey("trays.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    summary: Mapped[str] = mapped_column(String(500))
    payload: Mapped[dict] = mapped_column(JSONType, default=dict)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditLog(Base):
    """Append-only; each row hashes its content together with the previous row's hash
    (keyed, ``hash_version`` 2). Signed checkpoints of the head live outside the database."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_table_row", "table_name", "row_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None]  # no FK: the log outlives what it describes
    action: Mapped[str] = mapped_column(String(8))  # insert | update | delete
    table_name: Mapped[str] = mapped_column(String(64))
    row_id: Mapped[str] = mapped_column(String(64))
    changes: Mapped[dict] = mapped_column(JSONType, default=dict)  # {field: [old, new]}
    request_id: Mapped[str] = mapped_column(String(64), default="")
    ip: Mapped[str] = mapped_column(String(64), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    # 1: sha256 of the row (before keyed hashes); 2: HMAC with GROWAPP_AUDIT_KEY over a
    # canonical serialisation. See services/audit.py.
    hash_version: Mapped[int] = mapped_column(default=2, server_default=text("1"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
