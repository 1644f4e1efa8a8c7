"""Label sheet templates (data, millimetres). Label jobs are rows of ``jobs``."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, Timestamped

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
