"""A logger's CSV into readings: both shapes, column mapping, offsets, the dry run's
counts and rejected lines, all-or-nothing, duplicates skipped, roll-ups, size caps."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from growapp.models import Event, Reading, ReadingBatch, ReadingHour
from growapp.services.environment import csv_import as svc
from growapp.services.environment import readings
from growapp.services.errors import Invalid
from growapp.services.plant_import import FileTooLarge
from tests.helpers import factories as f

NOW = datetime(2026, 12, 1, 12, 30, tzinfo=UTC)
WIDE = (b"time,temperature_c,humidity,battery\n"
        b"2026-12-01T09:00:00+01:00,21.5,55,98\n"
        b"2026-12-01T09:30:00+01:00,22.0,,98\n"
        b"\n"
        b"2026-12-01T10:00:00+01:00,22.5,57,97\n")


@pytest.fixture
def tent(session):
    return f.make_tent(session, f.make_experiment(session))


@pytest.fixture
def op(session):
    return f.make_user(session, "operator")


def count(session, model=Reading):
    return session.scalar(select(func.count()).select_from(model))


def test_wide_dry_run_says_what_would_be_stored_and_writes_nothing(session, tent, op):
    result = svc.import_readings_csv(session, tent_id=tent.id, data=WIDE, actor=op, now=NOW)
    assert result.dry_run and result.shape == "wide" and result.time_column == "time"
    assert [(c.name, c.quantity, c.unit) for c in result.columns] == [
        ("temperature_c", "temperature", "°C"), ("humidity", "humidity", None),
        ("battery", None, None)]
    assert result.readings == 5 and result.new == 5 and not result.rejected
    t = result.quantities["temperature"]
    assert (t.count, t.first, t.last) == (3, datetime(2026, 12, 1, 8, tzinfo=UTC),
                                          datetime(2026, 12, 1, 9, tzinfo=UTC))
    assert result.quantities["humidity"].count == 2
    assert list(result.quantities) == ["temperature", "humidity"]
    assert count(session) == 0 and count(session, ReadingBatch) == 0


def test_import_stores_all_rolls_up_and_skips_what_is_stored(session, tent, op):
    result = svc.import_readings_csv(session, tent_id=tent.id, data=WIDE, actor=op,
                                     dry_run=False, now=NOW)
    assert result.stored == 5 and count(session) == 5
    assert set(session.scalars(select(Reading.source))) == {"csv"}
    hour = session.scalars(select(ReadingHour).where(ReadingHour.quantity == "temperature",
                                                     ReadingHour.hour == datetime(
                                                         2026, 12, 1, 8, tzinfo=UTC))).one()
    assert (hour.n, hour.min, hour.max) == (2, 21.5, 22.0)
    event = session.scalars(select(Event).where(Event.kind == "readings.ingested")).one()
    assert "5 readings (csv)" in event.summary
    # the same file again: the dry run says every reading is already there; importing
    # stores nothing and the roll-ups do not count them twice
    again = svc.import_readings_csv(session, tent_id=tent.id, data=WIDE, actor=op, now=NOW)
    assert again.duplicates == 5 and again.new == 0
    again = svc.import_readings_csv(session, tent_id=tent.id, data=WIDE, actor=op,
                                    dry_run=False, now=NOW)
    assert again.stored == 0 and count(session) == 5
    session.refresh(hour)
    assert hour.n == 2


def test_a_reading_the_api_already_has_is_not_stored_twice(session, tent, op):
    readings.ingest_readings(session, tent_id=tent.id, source="api", actor=op, now=NOW,
                             items=[{"quantity": "humidity", "value": 55,
                                     "at": "2026-12-01T08:00:00Z"}])
    result = svc.import_readings_csv(session, tent_id=tent.id, data=WIDE, actor=op,
                                     dry_run=False, now=NOW)
    assert result.duplicates == 1 and result.stored == 4 and count(session) == 5


def test_tidy_shape_with_units(session, tent, op):
    data = ("at,quantity,value,unit\r\n"
            "2026-12-01T08:00:00Z,temperature,71.6,°F\r\n"
            "2026-12-01T08:00:00Z,ec,1500,µS/cm\r\n"
            "2026-12-01T08:05:00Z,ph,6.2,\r\n").encode()
    result = svc.import_readings_csv(session, tent_id=tent.id, data=data, actor=op,
                                     dry_run=False, now=NOW)
    assert result.shape == "tidy" and result.stored == 3
    values = dict(session.execute(select(Reading.quantity, Reading.value)).all())
    assert values["temperature"] == pytest.approx(22.0)
    assert values["ec"] == pytest.approx(1.5) and values["ph"] == pytest.approx(6.2)


def test_rejected_lines_have_numbers_and_reasons_and_block_the_import(session, tent, op):
    data = (b"Timestamp,Temp (F),RH (%)\n"
            b"2026-12-01T09:00:00+01:00,70,55\n"
            b"2026-12-01 09:05:00,70,55\n"             # no offset
            b"2026-12-01T09:10:00+01:00,abc,55\n"      # not a number
            b"2026-12-01T09:15:00+01:00,70,140\n"      # impossible
            b"2026-12-09T09:15:00+01:00,70,50\n"       # future
            b"yesterday,70,50\n")
    result = svc.import_readings_csv(session, tent_id=tent.id, data=data, actor=op, now=NOW)
    assert result.columns[0].unit == "F" and result.readings == 2
    assert [r.line for r in result.rejected] == [3, 4, 5, 6, 7]
    reasons = {r.line: " ".join(r.errors) for r in result.rejected}
    assert "offset" in reasons[3] and "Temp (F)" in reasons[4] and "number" in reasons[4]
    assert "impossible" in reasons[5] and "future" in reasons[6]
    assert "ISO 8601" in reasons[7]
    with pytest.raises(svc.ReadingsRejected) as exc:
        svc.import_readings_csv(session, tent_id=tent.id, data=data, actor=op,
                                dry_run=False, now=NOW)
    assert exc.value.status == 422 and "line 3" in exc.value.errors
    assert count(session) == 0 and count(session, ReadingBatch) == 0


def test_offset_option_and_mapping_for_a_loggers_own_names(session, tent, op):
    data = (b"Date/Time,Ch1,Ch2\n"
            b"2026-12-01 09:00:00,70.0,1.2\n"
            b"2026-12-01 10:00:00,71.0,1.3\n")
    result = svc.import_readings_csv(session, tent_id=tent.id, data=data, actor=op,
                                     offset="Europe/Berlin", columns="ch1=temperature:°F, "
                                     "CH2=ec", dry_run=False, now=NOW)
    assert result.stored == 4
    first = session.scalars(select(Reading).order_by(Reading.at)).first()
    assert first.at.replace(tzinfo=UTC) == datetime(2026, 12, 1, 8, tzinfo=UTC)
    assert first.quantity in ("temperature", "ec")
    fixed = svc.import_readings_csv(session, tent_id=tent.id, data=data, actor=op,
                                    offset="+05:00", columns="Ch1=temperature:F", now=NOW)
    assert fixed.quantities["temperature"].first == datetime(2026, 12, 1, 4, tzinfo=UTC)
    assert [c.quantity for c in fixed.columns] == ["temperature", None]


def test_repeated_line_is_a_duplicate_unless_the_value_differs(session, tent, op):
    data = (b"at,co2\n2026-12-01T08:00:00Z,800\n2026-12-01T08:00:00Z,800\n"
            b"2026-12-01T08:00:00Z,900\n")
    result = svc.import_readings_csv(session, tent_id=tent.id, data=data, actor=op, now=NOW)
    assert result.readings == 2 and result.duplicates == 1 and result.new == 1
    assert [r.line for r in result.rejected] == [4]
    assert "line 2" in result.rejected[0].errors[0]


@pytest.mark.parametrize("data, field, options", [
    (b"", "file", {}),
    (b"time,temperature\n", "file", {}),
    (b"when,temperature\n2026-12-01T08:00:00Z,20\n", "time_column", {}),
    (b"at,battery\n2026-12-01T08:00:00Z,20\n", "columns", {}),
    (b"at,t\n2026-12-01T08:00:00Z,20\n", "time_column", {"time_column": "clock"}),
    (b"at,t\n2026-12-01T08:00:00Z,20\n", "offset", {"offset": "Mars/Olympus"}),
    (b"at,t\n2026-12-01T08:00:00Z,20\n", "offset", {"offset": "+15:00"}),
    (b"at,t\n2026-12-01T08:00:00Z,20\n", "columns", {"columns": "t=wind"}),
    (b"at,t\n2026-12-01T08:00:00Z,20\n", "columns", {"columns": "x=temperature"}),
    (b"\x00\x01binary", "file", {}),
])
def test_file_and_option_problems_are_422s(session, tent, op, data, field, options):
    with pytest.raises(Invalid) as exc:
        svc.import_readings_csv(session, tent_id=tent.id, data=data, actor=op, now=NOW,
                                **options)
    assert field in exc.value.errors


def test_size_caps(session, tent, op, monkeypatch):
    with pytest.raises(FileTooLarge) as exc:
        svc.import_readings_csv(session, tent_id=tent.id, actor=op, now=NOW,
                                data=b"at,co2\n" + b"x" * svc.MAX_BYTES)
    assert exc.value.status == 413
    monkeypatch.setattr(svc, "MAX_READINGS", 3)
    rows = "".join(f"2026-12-01T08:0{i}:00Z,{800 + i}\n" for i in range(5))
    with pytest.raises(Invalid, match="Too many"):
        svc.import_readings_csv(session, tent_id=tent.id, actor=op, now=NOW,
                                data=("at,co2\n" + rows).encode())


def test_more_readings_than_an_api_batch_in_one_import(session, tent, op):
    rows = "".join(f"2026-11-30T{h:02d}:{m:02d}:00Z,{20 + m / 100},{50 + m / 10}\n"
                   for h in range(12) for m in range(60))
    result = svc.import_readings_csv(session, tent_id=tent.id, actor=op, now=NOW,
                                     data=("at,temperature,humidity\n" + rows).encode(),
                                     dry_run=False)
    assert result.stored == 1440 > readings.MAX_BATCH and count(session) == 1440
    assert count(session, ReadingBatch) == 1
    assert session.scalar(select(func.sum(ReadingHour.n))) == 1440


def test_semicolons_and_decimal_commas(session, tent, op):
    data = "Zeit;Temperatur (°C);RH\n2026-12-01T09:00:00+01:00;21,5;55\n".encode("cp1252")
    result = svc.import_readings_csv(session, tent_id=tent.id, data=data, actor=op, now=NOW,
                                     time_column="zeit",
                                     columns="Temperatur (°C)=temperature, RH=humidity",
                                     dry_run=False)
    assert result.stored == 2
    assert dict(session.execute(select(Reading.quantity, Reading.value)).all()) == {
        "temperature": 21.5, "humidity": 55}
