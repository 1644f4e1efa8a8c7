"""Feedings logged on the tent floor (fed, or skipped with a reason)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Amendable, Base, Timestamped, utcnow


class FeedingLog(Amendable, Timestamped, Base):
    __tablename__ = "feeding_logs"
    __table_args__ = (
        CheckConstraint("status in ('fed', 'skipped')", name="status"),
        Index("ix_feeding_logs_plant_fed_at", "plant_id", "fed_at"),
    )

    plant_id: Mapped[int] = mapped_column(ForeignKey("plants.id"))
    recipe_id: Mapped[int | None] = mapped_column(ForeignKey("recipes.id"), index=True)
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lots.id"), index=True)
    tray_id: Mapped[int | None] = mapped_column(ForeignKey("trays.id"), index=True)
    amount_ml: Mapped[float | None] = mapped_column(Numeric(10, 2, asdecimal=False))
    status: Mapped[str] = mapped_column(String(16), default="fed")
    reason: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    fed_at: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
