"""Readings: units and limits, times with offsets, all-or-nothing batches, duplicates
skipped, hourly roll-ups, retention, VPD and DLI; not audited row by row."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from growapp.models import AuditLog, Reading, ReadingBatch, ReadingHour
from growapp.services.environment import readings as svc
from growapp.services.environment.units import dli_mol, to_canonical, vpd_kpa
from growapp.services.errors import Invalid
from tests.helpers import factories as f

NOW = datetime(2026, 12, 1, 12, 30, tzinfo=UTC)


@pytest.fixture
def tent(session):
    exp = f.make_experiment(session)
    return f.make_tent(session, exp)


def test_units_convert_and_limits_refuse():
    assert to_canonical("temperature", 77, "°F") == pytest.approx(25.0)
    assert to_canonical("temperature", 77, "F") == pytest.approx(25.0)
    assert to_canonical("ec", 1500, "µS/cm") == pytest.approx(1.5)
    assert to_canonical("ppfd", 400, "umol/m2/s") == 400
    with pytest.raises(ValueError, match="Unknown unit"):
        to_canonical("temperature", 20, "bananas")
    with pytest.raises(ValueError, match="impossible"):
        to_canonical("humidity", 140, None)
    with pytest.raises(ValueError, match="Unknown quantity"):
        to_canonical("wind", 1, None)
    with pytest.raises(ValueError, match="number"):
        to_canonical("ph", float("nan"), None)


def test_vpd_and_dli():
    assert vpd_kpa(25, 60) == pytest.approx(1.267, abs=0.01)
    assert vpd_kpa(20, 100) == pytest.approx(0)
    # 12 h at 500 µmol/m²/s = 21.6 mol/m²/day
    assert dli_mol([500] * 12 + [0] * 12) == pytest.approx(21.6)


def test_time_needs_an_offset():
    assert svc.parse_at("2026-12-01T13:05:00+01:00", now=NOW) == datetime(
        2026, 12, 1, 12, 5, tzinfo=UTC)
    assert svc.parse_at("2026-12-01T12:05:00Z", now=NOW).hour == 12
    with pytest.raises(ValueError, match="offset"):
        svc.parse_at("2026-12-01T12:05:00", now=NOW)
    with pytest.raises(ValueError, match="future"):
        svc.parse_at("2026-12-02T12:05:00Z", now=NOW)
    assert svc.parse_at(None, now=NOW) == NOW


def test_batch_is_all_or_nothing_with_field_errors(session, tent):
    items = [{"quantity": "temperature", "value": 24.0},
             {"quantity": "humidity", "value": 140},
             {"quantity": "wind", "value": 3},
             {"quantity": "temperature", "value": 70, "unit": "bananas"},
             {"quantity": "co2", "value": 800, "at": "2026-12-01T10:00:00"}]
    with pytest.raises(Invalid) as exc:
        svc.ingest_readings(session, tent_id=tent.id, items=items, source="api", actor=None,
                            now=NOW)
    assert set(exc.value.errors) == {"1.value", "2.quantity", "3.unit", "4.at"}
    assert session.scalar(select(func.count()).select_from(Reading)) == 0


def test_duplicates_are_stored_once_and_roll_ups_add_up(session, tent):
    at = "2026-12-01T11:10:00+00:00"
    items = [{"quantity": "temperature", "value": 20.0, "at": at},
             {"quantity": "temperature", "value": 68, "unit": "°F",
              "at": "2026-12-01T11:40:00Z"},
             {"quantity": "humidity", "value": 55, "at": at}]
    first = svc.ingest_readings(session, tent_id=tent.id, items=items, source="api",
                                actor=None, now=NOW)
    assert len(first.stored) == 3
    again = svc.ingest_readings(session, tent_id=tent.id, items=items + [
        {"quantity": "temperature", "value": 24.0, "at": "2026-12-01T11:50:00Z"}],
        source="csv", actor=None, now=NOW)
    assert len(again.stored) == 1 and again.duplicates == 3
    hour = session.scalars(select(ReadingHour).where(
        ReadingHour.tent_id == tent.id, ReadingHour.quantity == "temperature")).one()
    assert (hour.n, hour.min, hour.max) == (3, 20.0, 24.0)
    assert hour.total / hour.n == pytest.approx(64 / 3)
    assert hour.hour == datetime(2026, 12, 1, 11, tzinfo=UTC)


def test_readings_are_not_audited_but_their_batches_are(session, tent):
    before = session.scalar(select(func.count()).select_from(AuditLog))
    svc.ingest_readings(session, tent_id=tent.id, source="api", actor=None, now=NOW,
                        items=[{"quantity": "ph", "value": 6.1 + i / 100,
                                "at": (NOW - timedelta(minutes=i)).isoformat()}
                               for i in range(50)])
    session.flush()
    logged = session.execute(select(AuditLog.table_name, AuditLog.action)
                             .order_by(AuditLog.id).offset(before)).all()
    tables = {t for t, _a in logged}
    assert "readings" not in tables and "reading_hours" not in tables
    assert (ReadingBatch.__tablename__, "insert") in logged  # the ingestion is audited


def test_latest_list_and_prune(session, tent):
    svc.ingest_readings(session, tent_id=tent.id, source="api", actor=None, now=NOW, items=[
        {"quantity": "temperature", "value": 20 + i, "at": (NOW - timedelta(days=i)).isoformat()}
        for i in range(5)])
    latest = svc.latest_readings(session, tent_id=tent.id)
    assert latest["temperature"].value == 20 and "humidity" not in latest
    count, rows = svc.list_readings(session, tent_id=tent.id, quantity="temperature",
                                    start=NOW - timedelta(days=2, hours=1))
    assert count == 3 and [r.value for r in rows] == [22, 21, 20]
    assert svc.prune_readings(session, keep_days=2.5, now=NOW) == 2
    assert len(svc.list_hours(session, tent_ids=[tent.id])) == 5  # roll-ups stay
