"""Plants and what is recorded about each: metrics, notes, photos, adverse events."""

from __future__ import annotations

import uuid as uuid_mod
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Amendable, Base, JSONType, Timestamped, utcnow
from .species import Species


class Plant(Timestamped, Base):
    __tablename__ = "plants"
    __table_args__ = (
        UniqueConstraint("experiment_id", "plant_code"),
        CheckConstraint("grade in ('A', 'B', 'C')", name="grade"),
        CheckConstraint("status in ('active', 'removed')", name="status"),
        # grade too: the readiness count of missing grades reads the index alone
        Index("ix_plants_experiment_status_grade", "experiment_id", "status", "grade"),
    )

    uuid: Mapped[uuid_mod.UUID] = mapped_column(default=uuid_mod.uuid4, unique=True)
    experiment_id: Mapped[int] = mapped_column(ForeignKey("experiments.id"))
    plant_code: Mapped[str] = mapped_column(String(40))
    species_id: Mapped[int] = mapped_column(ForeignKey("species.id"), index=True)
    cultivar: Mapped[str] = mapped_column(String(120), default="")
    grade: Mapped[str | None] = mapped_column(String(1))
    status: Mapped[str] = mapped_column(String(16), default="active")
    planted_on: Mapped[date | None]
    removed_at: Mapped[datetime | None]
    removed_reason: Mapped[str] = mapped_column(Text, default="")
    replaced_by_id: Mapped[int | None] = mapped_column(ForeignKey("plants.id"), unique=True)
    notes: Mapped[str] = mapped_column(Text, default="")

    species: Mapped[Species] = relationship()
    experiment: Mapped[Experiment] = relationship()  # noqa: F821
    replaced_by: Mapped[Plant | None] = relationship(
        remote_side="Plant.id", foreign_keys=[replaced_by_id], back_populates="replaces"
    )
    replaces: Mapped[Plant | None] = relationship(
        foreign_keys=[replaced_by_id], back_populates="replaced_by", uselist=False
    )


class PlantMetric(Amendable, Timestamped, Base):
    __tablename__ = "plant_metrics"
    __table_args__ = (
        UniqueConstraint("plant_id", "week_number"),
        CheckConstraint("week_number >= 0", name="week_number"),
        # "has a live baseline" answered from the index alone (one probe per plant)
        Index("ix_plant_metrics_plant_week_voided", "plant_id", "week_number", "voided_at"),
    )

    # no index of its own: both indexes above begin with it (migration 0012 dropped it)
    plant_id: Mapped[int] = mapped_column(ForeignKey("plants.id"))
    week_number: Mapped[int]
    values: Mapped[dict] = mapped_column(JSONType, default=dict)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class Note(Amendable, Timestamped, Base):
    __tablename__ = "notes"

    plant_id: Mapped[int] = mapped_column(ForeignKey("plants.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class Photo(Timestamped, Base):
    __tablename__ = "photos"

    uuid: Mapped[uuid_mod.UUID] = mapped_column(default=uuid_mod.uuid4, unique=True)
    plant_id: Mapped[int] = mapped_column(ForeignKey("plants.id"), index=True)
    file_path: Mapped[str] = mapped_column(String(255))  # relative to GROWAPP_UPLOAD_DIR
    thumb_path: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(64), default="image/jpeg")
    size_bytes: Mapped[int] = mapped_column(default=0)
    width: Mapped[int | None]
    height: Mapped[int | None]
    taken_at: Mapped[datetime | None]
    caption: Mapped[str] = mapped_column(String(500), default="")
    week_number: Mapped[int | None]
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class AdverseEvent(Amendable, Timestamped, Base):
    __tablename__ = "adverse_events"
    __table_args__ = (
        CheckConstraint(
            "kind in ('pest', 'disease', 'damage', 'stress', 'other')", name="kind"
        ),
        CheckConstraint("severity between 1 and 3", name="severity"),
    )

    plant_id: Mapped[int] = mapped_column(ForeignKey("plants.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    severity: Mapped[int] = mapped_column(default=1)
    notes: Mapped[str] = mapped_column(Text, default="")
    photo_id: Mapped[int | None] = mapped_column(ForeignKey("photos.id"))
    observed_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
