"""Where plants live: tents, their slots, trays, and which plant sits in which tray."""

from __future__ import annotations

import uuid as uuid_mod

from sqlalchemy import CheckConstraint, Column, ForeignKey, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, JSONType, Timestamped
from .species import Species

tent_allowed_species = Table(
    "tent_allowed_species",
    Base.metadata,
    Column("tent_id", ForeignKey("tents.id", ondelete="CASCADE"), primary_key=True),
    Column("species_id", ForeignKey("species.id", ondelete="RESTRICT"), primary_key=True),
)


class Tent(Timestamped, Base):
    __tablename__ = "tents"
    __table_args__ = (UniqueConstraint("experiment_id", "code"),)

    uuid: Mapped[uuid_mod.UUID] = mapped_column(default=uuid_mod.uuid4, unique=True)
    experiment_id: Mapped[int] = mapped_column(ForeignKey("experiments.id"), index=True)
    code: Mapped[str] = mapped_column(String(24))
    name: Mapped[str] = mapped_column(String(120))
    # {"schema_version": 1, "shelves": [{"index": 1, "tray_count": 4}, ...]}
    layout: Mapped[dict] = mapped_column(JSONType, default=dict)

    allowed_species: Mapped[list[Species]] = relationship(secondary=tent_allowed_species)
    slots: Mapped[list[Slot]] = relationship(
        back_populates="tent", order_by="(Slot.shelf_index, Slot.position)"
    )


class Slot(Timestamped, Base):
    __tablename__ = "slots"
    __table_args__ = (
        UniqueConstraint("tent_id", "shelf_index", "position"),
        UniqueConstraint("tent_id", "code"),
        CheckConstraint("shelf_index >= 1 and position >= 1", name="coordinates"),
    )

    tent_id: Mapped[int] = mapped_column(ForeignKey("tents.id"), index=True)
    shelf_index: Mapped[int]
    position: Mapped[int]
    code: Mapped[str] = mapped_column(String(40))  # TN1-S1-P2

    tent: Mapped[Tent] = relationship(back_populates="slots")


class Tray(Timestamped, Base):
    __tablename__ = "trays"
    __table_args__ = (
        UniqueConstraint("experiment_id", "code"),
        CheckConstraint("capacity >= 1", name="capacity"),
    )

    uuid: Mapped[uuid_mod.UUID] = mapped_column(default=uuid_mod.uuid4, unique=True)
    experiment_id: Mapped[int] = mapped_column(ForeignKey("experiments.id"), index=True)
    code: Mapped[str] = mapped_column(String(24))
    name: Mapped[str] = mapped_column(String(120), default="")
    capacity: Mapped[int] = mapped_column(default=1)
    slot_id: Mapped[int | None] = mapped_column(ForeignKey("slots.id"), unique=True)
    recipe_id: Mapped[int | None] = mapped_column(ForeignKey("recipes.id"), index=True)

    slot: Mapped[Slot | None] = relationship()
    recipe: Mapped[Recipe | None] = relationship()  # noqa: F821


class TrayPlant(Timestamped, Base):
    __tablename__ = "tray_plants"

    tray_id: Mapped[int] = mapped_column(ForeignKey("trays.id"), index=True)
    plant_id: Mapped[int] = mapped_column(ForeignKey("plants.id"), unique=True)
