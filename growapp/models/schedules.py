"""Recurring planned work (what / when / where) and the completion of its occurrences."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, JSONType, Timestamped

ACTION_TYPES = ("feed", "rotate", "observe", "photo", "water", "custom")
TIMEFRAMES = ("morning", "afternoon", "evening")


class ScheduleAction(Timestamped, Base):
    __tablename__ = "schedule_actions"
    __table_args__ = (
        CheckConstraint(
            "action_type in ('feed', 'rotate', 'observe', 'photo', 'water', 'custom')",
            name="action_type",
        ),
        CheckConstraint(
            "timeframe is null or timeframe in ('morning', 'afternoon', 'evening')",
            name="timeframe",
        ),
    )

    experiment_id: Mapped[int] = mapped_column(ForeignKey("experiments.id"), index=True)
    action_type: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(120))
    notes: Mapped[str] = mapped_column(Text, default="")
    timeframe: Mapped[str | None] = mapped_column(String(16))
    exact_time: Mapped[time | None]
    is_active: Mapped[bool] = mapped_column(default=True)

    rule: Mapped[ScheduleRule] = relationship(back_populates="action", uselist=False)
    scopes: Mapped[list[ScheduleScope]] = relationship(back_populates="action")


class ScheduleRule(Timestamped, Base):
    __tablename__ = "schedule_rules"
    __table_args__ = (
        CheckConstraint("kind in ('weekly', 'interval')", name="kind"),
        CheckConstraint("every_days is null or every_days >= 1", name="every_days"),
        CheckConstraint("end_date is null or end_date >= start_date", name="dates"),
    )

    action_id: Mapped[int] = mapped_column(
        ForeignKey("schedule_actions.id", ondelete="CASCADE"), unique=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    weekdays: Mapped[list] = mapped_column(JSONType, default=list)  # 0 = Monday … 6 = Sunday
    every_days: Mapped[int | None]
    start_date: Mapped[date]
    end_date: Mapped[date | None]

    action: Mapped[ScheduleAction] = relationship(back_populates="rule")


class ScheduleScope(Timestamped, Base):
    __tablename__ = "schedule_scopes"
    __table_args__ = (
        CheckConstraint("scope_type in ('tent', 'tray', 'plant')", name="scope_type"),
        CheckConstraint(
            "(case when tent_id is null then 0 else 1 end)"
            " + (case when tray_id is null then 0 else 1 end)"
            " + (case when plant_id is null then 0 else 1 end) = 1",
            name="one_target",
        ),
    )

    action_id: Mapped[int] = mapped_column(
        ForeignKey("schedule_actions.id", ondelete="CASCADE"), index=True
    )
    scope_type: Mapped[str] = mapped_column(String(8))
    tent_id: Mapped[int | None] = mapped_column(ForeignKey("tents.id"))
    tray_id: Mapped[int | None] = mapped_column(ForeignKey("trays.id"))
    plant_id: Mapped[int | None] = mapped_column(ForeignKey("plants.id"))

    action: Mapped[ScheduleAction] = relationship(back_populates="scopes")


class TaskCompletion(Timestamped, Base):
    __tablename__ = "task_completions"
    __table_args__ = (
        UniqueConstraint("action_id", "occurrence_date"),
        CheckConstraint("status in ('done', 'skipped')", name="status"),
    )

    action_id: Mapped[int] = mapped_column(
        ForeignKey("schedule_actions.id", ondelete="CASCADE"), index=True
    )
    occurrence_date: Mapped[date]
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text, default="")
    automatic: Mapped[bool] = mapped_column(default=False)  # completed by logging the work
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    completed_at: Mapped[datetime]
