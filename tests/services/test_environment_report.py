"""The report's conditions per tent: mean, min/max, hours out of range from the roll-ups,
VPD, DLI per whole day, recipes beside them; nothing before the start; a fixed number of
statements; on the report page and in the report's JSON."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from growapp.models import Tent
from growapp.services.environment.alerts import set_range, set_sensor_settings
from growapp.services.environment.readings import ingest_readings
from growapp.services.environment.report import tent_conditions
from tests.helpers import factories as f
from tests.helpers.reports import report_trial
from tests.helpers.statements import count_statements

START = datetime(2026, 11, 1, 0, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 4, 12, 0, tzinfo=UTC)


def _trial(session):
    exp, _plants, _trays, _recipes = report_trial(session)
    exp.started_at = START
    return exp, session.scalars(select(Tent).where(Tent.experiment_id == exp.id)).one()


def _hourly(session, tent, quantity, values, start=START, unit=None, now=NOW):
    """One reading at :10 and one at :40 of each hour, ``values`` as (v1, v2) per hour."""
    items = []
    for i, (a, b) in enumerate(values):
        hour = start + timedelta(hours=i)
        items += [{"quantity": quantity, "value": a, "unit": unit,
                   "at": (hour + timedelta(minutes=10)).isoformat()},
                  {"quantity": quantity, "value": b, "unit": unit,
                   "at": (hour + timedelta(minutes=40)).isoformat()}]
    for n in range(0, len(items), 1000):
        ingest_readings(session, tent_id=tent.id, source="api", actor=None, now=now,
                        items=items[n:n + 1000])


def test_mean_min_max_hours_out_and_vpd(session):
    exp, tent = _trial(session)
    op = f.make_user(session)
    # 10 hours: 20/22 (mean 21) for 6 hours, 27/29 (mean 28) for 4 hours
    _hourly(session, tent, "temperature", [(20, 22)] * 6 + [(27, 29)] * 4)
    _hourly(session, tent, "humidity", [(60, 60)] * 10)
    _hourly(session, tent, "co2", [(800, 800)] * 2)
    # before the start: left out
    _hourly(session, tent, "temperature", [(40, 40)], start=START - timedelta(hours=5))
    set_range(session, tent_id=tent.id, quantity="temperature", low=18, high=26, actor=op)
    set_range(session, tent_id=tent.id, quantity="humidity", low=65, high=None, actor=op)
    got = tent_conditions(session, experiment=exp, now=NOW)
    assert (got.start, got.end) == (START, NOW)
    t = got.tents[0]
    assert t.code == "TN1" and t.trays_by_recipe == {"R0": 1, "R1": 1}
    q = {c.quantity: c for c in t.quantities}
    assert list(q) == ["temperature", "humidity", "co2"]
    assert q["temperature"].mean == pytest.approx((21 * 6 + 28 * 4) / 10)
    assert (q["temperature"].min, q["temperature"].max) == (20, 29)
    assert (q["temperature"].hours, q["temperature"].hours_out) == (10, 4)
    assert q["humidity"].hours_out == 10 and q["co2"].hours_out is None
    assert t.vpd_mean == pytest.approx((6 * 0.996 + 4 * 1.512) / 10, abs=0.01)
    assert t.dli_mean is None
    shaped = got.as_dict()["tents"][0]
    assert shaped["quantities"][0]["hours_out_of_range"] == 4
    assert shaped["quantities"][0]["range"] == {"low": 18, "high": 26}


def test_daily_light_integral_over_whole_days_from_ppfd_or_lux(session):
    exp, tent = _trial(session)
    op = f.make_user(session)
    # days 1 and 2 whole: 12 h at 500 µmol → 21.6 mol/day; day 3 (running) half lit
    day = [(500, 500)] * 12 + [(0, 0)] * 12
    _hourly(session, tent, "ppfd", day + [(250, 250)] * 12 + [(0, 0)] * 12 + [(500, 500)] * 6)
    got = tent_conditions(session, experiment=exp, now=START + timedelta(days=2, hours=8))
    t = got.tents[0]
    assert len(t.dli_by_day) == 2
    assert t.dli_mean == pytest.approx((21.6 + 10.8) / 2)
    other = f.make_tent(session, exp, code="TN2")
    _hourly(session, other, "lux", [(30000, 30000)] * 10)
    assert tent_conditions(session, experiment=exp, now=NOW).tents[1].dli_mean is None
    set_sensor_settings(session, tent_id=other.id, lux_factor=0.015, stale_minutes=30,
                        actor=op)
    lit = tent_conditions(session, experiment=exp, now=START + timedelta(hours=20)).tents[1]
    assert lit.dli_mean == pytest.approx(10 * 30000 * 0.015 * 3600 / 1e6)


def test_nothing_before_the_start_and_a_stopped_trial_ends_at_its_stop(session):
    exp, tent = _trial(session)
    _hourly(session, tent, "temperature", [(20, 20)] * 30)
    exp.started_at = None
    got = tent_conditions(session, experiment=exp, now=NOW)
    assert got.start is None and not got.any and got.tents[0].quantities == []
    exp.started_at, exp.status, exp.stopped_at = START, "stopped", START + timedelta(hours=10)
    got = tent_conditions(session, experiment=exp, now=NOW)
    assert got.tents[0].quantities[0].hours == 10


def test_statements_do_not_grow_with_tents_or_hours(session, connection):
    counts = []
    for tents, hours in ((1, 5), (4, 200)):
        exp, tent = _trial(session)
        for n in range(tents):
            t = tent if n == 0 else f.make_tent(session, exp, code=f"TX{n}")
            later = START + timedelta(days=10)
            _hourly(session, t, "temperature", [(20, 21)] * hours, now=later)
            _hourly(session, t, "ppfd", [(400, 400)] * hours, now=later)
        session.flush()
        with count_statements(connection) as statements:
            got = tent_conditions(session, experiment=exp, now=START + timedelta(days=10))
        assert len(got.tents) == tents
        counts.append(len(statements))
    assert counts[0] == counts[1] == 5, counts


def test_report_page_and_json_show_the_section(login_as, session, connection):
    exp, tent = _trial(session)
    exp.started_at = datetime.now(UTC) - timedelta(days=3)
    _hourly(session, tent, "temperature", [(20, 22)] * 5, start=exp.started_at,
            now=datetime.now(UTC))
    session.commit()
    client = login_as("viewer")
    html = client.get(f"/experiments/{exp.id}/reports").get_data(as_text=True)
    section = html.split('id="tent-conditions"', 1)[1].split("</section>", 1)[0]
    assert "TN1" in section and "R0: 1 tray" in section and "21.0" in section
    assert "no range" in section
    body = client.get(f"/api/v1/experiments/{exp.id}/report").json
    assert body["environment"]["tents"][0]["quantities"][0]["mean"] == 21.0
    assert "effect" not in section  # the estimates stay in their own sections
