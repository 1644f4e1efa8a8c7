"""Label sheet templates (data, millimetres) and background label-rendering jobs."""

from __future__ import annotations

import uuid as uuid_mod
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, JSONType, Timestamped

MM = Numeric(8, 2, asdecimal=False)


class LabelTemplate(Timestamped, Base):
    __tablename__ = "label_templates"
    __table_args__ = (
        CheckConstraint("columns >= 1 and rows >= 1", name="grid"),
        CheckConstraint("label_width_mm > 0 and label_height_mm > 0", name="label_size"),
    )

    slug: Mapped[str] = mapped_column(String(40), unique=True)  # avery-5160
    name: Mapped[str] = mapped_column(String(120))
    page_width_mm: Mapped[float] = mapped_column(MM)
    page_height_mm: Mapped[float] = mapped_column(MM)
    columns: Mapped[int]
    rows: Mapped[int]
    label_width_mm: Mapped[float] = mapped_column(MM)
    label_height_mm: Mapped[float] = mapped_column(MM)
    margin_top_mm: Mapped[float] = mapped_column(MM, default=0)
    margin_left_mm: Mapped[float] = mapped_column(MM, default=0)
    gap_x_mm: Mapped[float] = mapped_column(MM, default=0)
    gap_y_mm: Mapped[float] = mapped_column(MM, default=0)
    is_builtin: Mapped[bool] = mapped_column(default=False)


class LabelJob(Timestamped, Base):
    """A large label PDF rendered in the background; the page polls its progress."""

    __tablename__ = "label_jobs"
    __table_args__ = (
        CheckConstraint("status in ('queued', 'running', 'done', 'failed')", name="status"),
    )

    uuid: Mapped[uuid_mod.UUID] = mapped_column(default=uuid_mod.uuid4, unique=True)
    experiment_id: Mapped[int] = mapped_column(ForeignKey("experiments.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(16), default="queued")
    options: Mapped[dict] = mapped_column(JSONType, default=dict)
    total: Mapped[int] = mapped_column(default=0)
    done: Mapped[int] = mapped_column(default=0)
    file_path: Mapped[str] = mapped_column(String(255), default="")
    error: Mapped[str] = mapped_column(Text, default="")
    finished_at: Mapped[datetime | None]
