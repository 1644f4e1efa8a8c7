"""The cockpit's "tent now": newest reading per quantity, ranges, open alerts and the
staleness setting, read in one statement whatever the number of readings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from growapp.services.environment import alerts as alert_svc
from growapp.services.environment.readings import ingest_readings
from growapp.services.environment.units import vpd_kpa
from growapp.services.read.tent_now import tent_now
from tests.helpers import factories as f
from tests.helpers.statements import count_statements

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def tent(session):
    exp = f.make_experiment(session, status="running")
    return f.make_tent(session, exp)


def _log(session, tent, quantity, values_by_minutes_ago):
    ingest_readings(session, tent_id=tent.id, source="api", actor=None, now=NOW, items=[
        {"quantity": quantity, "value": v, "at": (NOW - timedelta(minutes=m)).isoformat()}
        for m, v in values_by_minutes_ago.items()])


def test_no_readings(session, tent, connection):
    with count_statements(connection) as statements:
        tn = tent_now(session, tent_id=tent.id, now=NOW)
    assert len(statements) == 1
    assert tn.latest == {} and tn.alerts == [] and tn.vpd is None and not tn.stale
    assert tn.stale_minutes == alert_svc.DEFAULT_STALE_MINUTES


def test_newest_per_quantity_ranges_alerts_in_one_statement(session, tent, connection):
    user = f.make_user(session)
    _log(session, tent, "temperature", {m: 20 + m / 10 for m in range(60, 0, -1)} | {1: 31.0})
    _log(session, tent, "humidity", {30: 40.0, 2: 55.0})
    _log(session, tent, "co2", {5: 800.0})
    alert_svc.set_range(session, tent_id=tent.id, quantity="temperature", low=18, high=28,
                        for_minutes=0, actor=user)
    alert_svc.set_range(session, tent_id=tent.id, quantity="humidity", low=60, high=None,
                        actor=user)
    alert_svc.set_sensor_settings(session, tent_id=tent.id, lux_factor=None, stale_minutes=45,
                                  actor=user)
    alert_svc.check_alerts(session, now=NOW)
    session.flush()
    with count_statements(connection) as statements:
        tn = tent_now(session, tent_id=tent.id, now=NOW)
    assert len(statements) == 1
    assert tn.quantities == ["temperature", "humidity", "co2"]
    assert tn.latest["temperature"].value == 31.0
    assert tn.latest["temperature"].at == NOW - timedelta(minutes=1)
    assert tn.latest["humidity"].value == 55.0
    assert tn.state("temperature") == "high" and tn.state("humidity") == "low"
    assert tn.state("co2") == ""
    assert tn.vpd == pytest.approx(vpd_kpa(31.0, 55.0))
    assert tn.stale_minutes == 45 and not tn.stale
    assert {(a.quantity, a.kind) for a in tn.alerts} == {("temperature", "range"),
                                                        ("humidity", "range")}
    assert tn.alerts[0].detail and tn.alerts[0].raised_at.tzinfo is not None
    assert tent_now(session, tent_id=tent.id, now=NOW + timedelta(minutes=50)).stale


def test_another_tents_readings_do_not_show(session, tent):
    from growapp.models import Experiment

    other = f.make_tent(session, session.get(Experiment, tent.experiment_id), code="TN9")
    _log(session, other, "temperature", {1: 25.0})
    assert tent_now(session, tent_id=tent.id, now=NOW).latest == {}


def test_what_the_tent_page_reads_too(session, tent, connection):
    """The reading's source, the range's minutes before an alert and the lux factor ride
    on the same one statement (the tent page reads its "now" from it)."""
    _log(session, tent, "temperature", {3: 24.0})
    ingest_readings(session, tent_id=tent.id, source="manual", actor=None, now=NOW,
                    items=[{"quantity": "humidity", "value": 61,
                            "at": (NOW - timedelta(minutes=1)).isoformat()}])
    user = f.make_user(session, role="operator")
    alert_svc.set_range(session, tent_id=tent.id, quantity="humidity", low=40, high=70,
                        for_minutes=25, actor=user)
    alert_svc.set_sensor_settings(session, tent_id=tent.id, lux_factor=0.0185,
                                  stale_minutes=45, actor=user)
    with count_statements(connection) as statements:
        tn = tent_now(session, tent_id=tent.id, now=NOW)
    assert len(statements) == 1
    assert (tn.latest["temperature"].source, tn.latest["humidity"].source) == ("api", "manual")
    assert (tn.ranges["humidity"].low, tn.ranges["humidity"].for_minutes) == (40, 25)
    assert tn.lux_factor == pytest.approx(0.0185) and tn.stale_minutes == 45
