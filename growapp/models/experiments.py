"""The experiment: one trial with its lifecycle."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, Timestamped

STATUSES = ("draft", "running", "stopped")


class Experiment(Timestamped, Base):
    __tablename__ = "experiments"
    __table_args__ = (
        CheckConstraint("status in ('draft', 'running', 'stopped')", name="status"),
        CheckConstraint("feeding_window_days >= 1", name="feeding_window"),
    )

    name: Mapped[str] = mapped_column(String(120))
    short_name: Mapped[str] = mapped_column(String(24), default="")  # printed on labels
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    started_at: Mapped[datetime | None]
    stopped_at: Mapped[datetime | None]
    feeding_window_days: Mapped[int] = mapped_column(default=7)
    randomization_seed: Mapped[int | None]
    # Archived trials leave the experiments list (operators archive and un-archive).
    archived_at: Mapped[datetime | None] = mapped_column(index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
