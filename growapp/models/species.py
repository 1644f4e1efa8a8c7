"""Species (preset and custom) and the per-category metric templates."""

from __future__ import annotations

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, JSONType, Timestamped


class Species(Timestamped, Base):
    __tablename__ = "species"
    __table_args__ = (UniqueConstraint("common_name", "scientific_name"),)

    common_name: Mapped[str] = mapped_column(String(120))
    scientific_name: Mapped[str] = mapped_column(String(160), default="")
    category: Mapped[str] = mapped_column(String(32), index=True)
    default_cultivar: Mapped[str] = mapped_column(String(120), default="")
    is_preset: Mapped[bool] = mapped_column(default=False)
    notes: Mapped[str] = mapped_column(Text, default="")


class MetricTemplate(Timestamped, Base):
    """Ordered measurement fields for one species category.

    fields: [{key, label, type (int|float|choice|bool|text), unit, min, max, choices, required}]
    """

    __tablename__ = "metric_templates"

    category: Mapped[str] = mapped_column(String(32), unique=True)
    code_prefix: Mapped[str] = mapped_column(String(8))  # VFT, DRO… for suggested plant codes
    fields: Mapped[list] = mapped_column(JSONType, default=list)
