"""Tray rotations logged on the tent floor (a tray moved from one slot to another)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, Timestamped, utcnow


class RotationLog(Timestamped, Base):
    __tablename__ = "rotation_logs"

    tray_id: Mapped[int] = mapped_column(ForeignKey("trays.id"), index=True)
    from_slot_id: Mapped[int | None] = mapped_column(ForeignKey("slots.id"))
    to_slot_id: Mapped[int] = mapped_column(ForeignKey("slots.id"))
    moved_at: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(Text, default="")
