"""environment.csv and environment_hourly.csv: tidy columns, local times with offsets,
slot codes, only this experiment's tents, streamed (rows read in chunks)."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from growapp.models import utcnow
from growapp.services import exports
from growapp.services.bundle import bundle_chunks
from growapp.services.environment import export as env_export
from growapp.services.environment.readings import ingest_readings
from tests.helpers import factories as f

NOW = datetime(2026, 12, 1, 12, 30, tzinfo=UTC)


def _read(rows) -> list[dict]:
    return list(csv.DictReader(io.StringIO("".join(exports.to_csv(rows)))))


@pytest.fixture
def trial(session):
    exp = f.make_experiment(session)
    tent = f.make_tent(session, exp)
    other = f.make_tent(session, f.make_experiment(session), code="TN1")
    ingest_readings(session, tent_id=tent.id, source="api", actor=None, now=NOW, items=[
        {"quantity": "temperature", "value": 68, "unit": "°F", "at": "2026-12-01T08:05:00Z"},
        {"quantity": "temperature", "value": 21.5, "at": "2026-12-01T08:35:00Z"},
        {"quantity": "humidity", "value": 55, "at": "2026-12-01T08:05:00Z",
         "slot_id": tent.slots[1].id}])
    ingest_readings(session, tent_id=other.id, source="api", actor=None, now=NOW,
                    items=[{"quantity": "co2", "value": 900, "at": "2026-12-01T08:05:00Z"}])
    return exp, tent


def test_raw_readings_tidy_in_the_installations_zone(session, trial):
    exp, tent = trial
    session.info["tz"] = ZoneInfo("Pacific/Auckland")
    try:
        rows = _read(exports.EXPORTS["environment"](session, exp.id))
    finally:
        session.info.pop("tz")
    assert list(rows[0]) == ["tent", "slot", "quantity", "value", "unit", "at", "source"]
    assert [(r["quantity"], r["value"], r["unit"], r["slot"], r["at"]) for r in rows] == [
        ("humidity", "55", "%", tent.slots[1].code, "2026-12-01T21:05:00+13:00"),
        ("temperature", "20", "°C", "", "2026-12-01T21:05:00+13:00"),
        ("temperature", "21.5", "°C", "", "2026-12-01T21:35:00+13:00")]
    assert {r["tent"] for r in rows} == {"TN1"} and {r["source"] for r in rows} == {"api"}


def test_hourly_roll_ups(session, trial):
    exp, _tent = trial
    rows = _read(exports.EXPORTS["environment_hourly"](session, exp.id))
    assert [(r["quantity"], r["hour"], r["n"], r["mean"], r["min"], r["max"]) for r in rows] == [
        ("humidity", "2026-12-01T08:00:00+00:00", "1", "55", "55", "55"),
        ("temperature", "2026-12-01T08:00:00+00:00", "2", "20.75", "20", "21.5")]


def test_streamed_in_chunks(session, monkeypatch):
    exp = f.make_experiment(session)
    tent = f.make_tent(session, exp)
    now = utcnow().replace(microsecond=0)
    from datetime import timedelta
    for start in range(0, 2400, 800):
        ingest_readings(session, tent_id=tent.id, source="mqtt", actor=None, items=[
            {"quantity": "ppfd", "value": i % 700, "at": now - timedelta(minutes=i)}
            for i in range(start, start + 800)])
    monkeypatch.setattr(env_export, "CHUNK", 500)
    sizes = []
    real = session.execute

    def spy(stmt, *a, **k):
        result = real(stmt, *a, **k)
        sizes.append(stmt.get_execution_options().get("yield_per"))
        return result

    monkeypatch.setattr(session, "execute", spy)
    rows = env_export.environment_rows(session, exp.id)
    assert next(rows)[0] == "tent"
    first = next(rows)
    assert first[2] == "ppfd" and 500 in sizes  # read yield_per, not all at once
    assert sum(1 for _ in rows) == 2399


def test_in_the_zip_with_a_dictionary(session, trial):
    exp, _tent = trial
    data = b"".join(bundle_chunks(session, experiment_id=exp.id, exported_at=NOW))
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.read("environment.csv").decode().startswith("tent,slot,quantity")
        assert "environment_hourly.csv" in zf.namelist()
        import json
        design = json.loads(zf.read("design.json"))
    assert list(design["columns"]["environment"]) == env_export.COLUMNS["environment"]
