"""What is fed: recipes (R0 control, R1…) and mixed lots of them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, Timestamped, utcnow


class Recipe(Timestamped, Base):
    __tablename__ = "recipes"
    __table_args__ = (UniqueConstraint("experiment_id", "code"),)

    experiment_id: Mapped[int] = mapped_column(ForeignKey("experiments.id"), index=True)
    code: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(120))
    product: Mapped[str] = mapped_column(String(120), default="")
    concentration: Mapped[float | None] = mapped_column(Numeric(12, 4, asdecimal=False))
    unit: Mapped[str] = mapped_column(String(24), default="")
    volume_ml: Mapped[float | None] = mapped_column(Numeric(10, 2, asdecimal=False))
    colour: Mapped[str] = mapped_column(String(16), default="")  # chip colour on maps
    notes: Mapped[str] = mapped_column(Text, default="")


class Lot(Timestamped, Base):
    __tablename__ = "lots"
    __table_args__ = (UniqueConstraint("experiment_id", "code"),)

    experiment_id: Mapped[int] = mapped_column(ForeignKey("experiments.id"), index=True)
    recipe_id: Mapped[int] = mapped_column(ForeignKey("recipes.id"), index=True)
    code: Mapped[str] = mapped_column(String(24))  # L-07
    prepared_at: Mapped[datetime] = mapped_column(default=utcnow)
    volume_ml: Mapped[float | None] = mapped_column(Numeric(10, 2, asdecimal=False))
    ec: Mapped[float | None] = mapped_column(Numeric(8, 3, asdecimal=False))
    ph: Mapped[float | None] = mapped_column(Numeric(4, 2, asdecimal=False))
    temperature_c: Mapped[float | None] = mapped_column(Numeric(5, 2, asdecimal=False))
    notes: Mapped[str] = mapped_column(Text, default="")
    prepared_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    recipe: Mapped[Recipe] = relationship()
