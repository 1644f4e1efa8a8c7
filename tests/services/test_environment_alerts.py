"""Ranges and alerts: out of range for N minutes raises, back in range clears, a silent
sensor raises; range changes are events and audited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from growapp.models import AuditLog, Event
from growapp.services.environment import alerts as svc
from growapp.services.environment.readings import ingest_readings
from growapp.services.errors import Invalid
from tests.helpers import factories as f

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def tent(session):
    exp = f.make_experiment(session, status="running")
    return f.make_tent(session, exp)


def _temps(session, tent, values_by_minutes_ago: dict[int, float]):
    ingest_readings(session, tent_id=tent.id, source="api", actor=None,
                    now=NOW + timedelta(hours=1), items=[
        {"quantity": "temperature", "value": v, "at": (NOW - timedelta(minutes=m)).isoformat()}
        for m, v in values_by_minutes_ago.items()])


def test_range_rules_and_audit(session, tent):
    user = f.make_user(session)
    with pytest.raises(Invalid) as exc:
        svc.set_range(session, tent_id=tent.id, quantity="temperature", low=30, high=20,
                      actor=user)
    assert "high" in exc.value.errors
    with pytest.raises(Invalid):
        svc.set_range(session, tent_id=tent.id, quantity="wind", low=1, high=2, actor=user)
    rng = svc.set_range(session, tent_id=tent.id, quantity="temperature", low=18, high=28,
                        for_minutes=10, actor=user)
    assert (rng.low, rng.high) == (18, 28)
    assert session.scalar(select(AuditLog).where(AuditLog.table_name == "tent_ranges"))
    assert svc.set_range(session, tent_id=tent.id, quantity="temperature", low=None,
                         high=None, actor=user) is None
    kinds = session.scalars(select(Event.summary).where(Event.kind == "environment.range"))
    assert any("removed" in s for s in kinds)


def test_out_of_range_for_n_minutes_raises_then_clears(session, tent):
    user = f.make_user(session)
    svc.set_range(session, tent_id=tent.id, quantity="temperature", low=18, high=28,
                  for_minutes=10, actor=user)
    _temps(session, tent, {20: 25, 8: 31, 4: 31.5, 0: 32})  # out for 8 min only
    assert svc.check_alerts(session, now=NOW) == []
    later = NOW + timedelta(minutes=5)
    _temps(session, tent, {-5: 32.2})
    changes = svc.check_alerts(session, now=later)
    assert [(c.alert.kind, c.raised) for c in changes] == [("range", True)]
    assert "above 28" in changes[0].alert.detail
    assert svc.check_alerts(session, now=later) == []  # raised once
    assert len(svc.open_alerts(session, tent_ids=[tent.id])[tent.id]) == 1
    _temps(session, tent, {-6: 26})
    changes = svc.check_alerts(session, now=NOW + timedelta(minutes=6))
    assert [(c.alert.kind, c.raised) for c in changes] == [("range", False)]
    events = session.scalars(select(Event.kind).where(Event.kind.like("environment.%"))).all()
    assert "environment.alert" in events and "environment.cleared" in events


def test_a_silent_sensor_raises_and_a_reading_clears(session, tent):
    _temps(session, tent, {45: 22})
    changes = svc.check_alerts(session, now=NOW)
    assert [(c.alert.kind, c.raised) for c in changes] == [("silent", True)]
    _temps(session, tent, {0: 22})
    changes = svc.check_alerts(session, now=NOW)
    assert [(c.alert.kind, c.raised) for c in changes] == [("silent", False)]
    svc.set_sensor_settings(session, tent_id=tent.id, lux_factor=None, stale_minutes=0,
                            actor=f.make_user(session))
    assert svc.check_alerts(session, now=NOW + timedelta(days=1)) == []
