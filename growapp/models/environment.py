"""A tent's environment: sensor readings, hourly roll-ups, ranges, alerts and sensor
settings (issue 14).

Readings are written with Core ``INSERT … ON CONFLICT DO NOTHING`` (never through the ORM
unit of work), so the audit hook does not log them row by row; the ``ReadingBatch`` that
records each ingestion and every ``TentRange`` change are ORM rows and are audited."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, Timestamped, utcnow

SOURCES = ("manual", "api", "mqtt", "csv")


class Reading(Base):
    """One value in the quantity's canonical unit (°C, %, µmol/m²/s, lx, ppm, mS/cm, pH).

    ``sensor`` names where it came from inside the tent ("" the tent's own sensor, whatever
    the path; ``manual`` a person's entry; ``slot:<id>``; or a mapped device's topic);
    (tent, sensor, quantity, at) is unique, so a reading delivered twice is stored once."""

    __tablename__ = "readings"
    __table_args__ = (
        UniqueConstraint("tent_id", "quantity", "at", "sensor"),
        Index("ix_readings_at", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tent_id: Mapped[int] = mapped_column(ForeignKey("tents.id", ondelete="CASCADE"))
    slot_id: Mapped[int | None] = mapped_column(ForeignKey("slots.id", ondelete="SET NULL"))
    sensor: Mapped[str] = mapped_column(String(120), default="", server_default="")
    quantity: Mapped[str] = mapped_column(String(16))
    value: Mapped[float] = mapped_column(Float)
    at: Mapped[datetime]
    source: Mapped[str] = mapped_column(String(8))
    batch_id: Mapped[int | None] = mapped_column(
        ForeignKey("reading_batches.id", ondelete="SET NULL"))


class ReadingHour(Base):
    """Hourly roll-up of a tent's readings of one quantity (all its sensors), kept after
    the raw readings expire. ``total`` / ``n`` is the mean."""

    __tablename__ = "reading_hours"
    __table_args__ = (UniqueConstraint("tent_id", "quantity", "hour"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tent_id: Mapped[int] = mapped_column(ForeignKey("tents.id", ondelete="CASCADE"))
    quantity: Mapped[str] = mapped_column(String(16))
    hour: Mapped[datetime]
    n: Mapped[int]
    total: Mapped[float] = mapped_column(Float)
    min: Mapped[float] = mapped_column(Float)
    max: Mapped[float] = mapped_column(Float)


class ReadingBatch(Timestamped, Base):
    """One ingestion (a manual entry, an API batch, an MQTT flush, a CSV import)."""

    __tablename__ = "reading_batches"

    tent_id: Mapped[int] = mapped_column(ForeignKey("tents.id", ondelete="CASCADE"),
                                         index=True)
    source: Mapped[str] = mapped_column(String(8))
    received: Mapped[int]
    stored: Mapped[int]
    first_at: Mapped[datetime | None]
    last_at: Mapped[datetime | None]
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class TentRange(Timestamped, Base):
    """The range an operator wants a quantity kept in; out of it for ``for_minutes``
    raises an alert."""

    __tablename__ = "tent_ranges"
    __table_args__ = (
        UniqueConstraint("tent_id", "quantity"),
        CheckConstraint("low IS NULL OR high IS NULL OR low < high", name="low_below_high"),
        CheckConstraint("for_minutes >= 0", name="for_minutes"),
    )

    tent_id: Mapped[int] = mapped_column(ForeignKey("tents.id", ondelete="CASCADE"))
    quantity: Mapped[str] = mapped_column(String(16))
    low: Mapped[float | None] = mapped_column(Float)
    high: Mapped[float | None] = mapped_column(Float)
    for_minutes: Mapped[int] = mapped_column(default=15, server_default="15")


class TentSensorSettings(Timestamped, Base):
    """Per tent: the lux → PPFD factor of its lamps (none: lux gives no DLI) and after
    how many minutes without any reading its sensor counts as dead (0 = never)."""

    __tablename__ = "tent_sensor_settings"

    tent_id: Mapped[int] = mapped_column(ForeignKey("tents.id", ondelete="CASCADE"),
                                         unique=True)
    lux_factor: Mapped[float | None] = mapped_column(Float)
    stale_minutes: Mapped[int] = mapped_column(default=30, server_default="30")


class SensorMapping(Timestamped, Base):
    """A device's own topic mapped to a tent: Tasmota ``tele/<device>/SENSOR`` (JSON,
    several quantities) or ESPHome ``<node>/sensor/<name>/state`` (one number, the
    mapping names its quantity and unit)."""

    __tablename__ = "sensor_mappings"
    __table_args__ = (
        UniqueConstraint("topic"),
        CheckConstraint("kind IN ('tasmota', 'esphome')", name="kind"),
    )

    tent_id: Mapped[int] = mapped_column(ForeignKey("tents.id", ondelete="CASCADE"),
                                         index=True)
    kind: Mapped[str] = mapped_column(String(8))
    topic: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[str | None] = mapped_column(String(16))
    unit: Mapped[str | None] = mapped_column(String(16))


class EnvironmentAlert(Base):
    """Raised by the periodic check, cleared when the tent is back in range (or its
    sensor reports again). One open alert per (tent, quantity, kind)."""

    __tablename__ = "environment_alerts"
    __table_args__ = (
        Index("ix_environment_alerts_open", "tent_id", "cleared_at"),
        CheckConstraint("kind IN ('range', 'silent')", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tent_id: Mapped[int] = mapped_column(ForeignKey("tents.id", ondelete="CASCADE"))
    quantity: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(8))
    detail: Mapped[str] = mapped_column(Text, default="")
    raised_at: Mapped[datetime] = mapped_column(default=utcnow)
    cleared_at: Mapped[datetime | None]
