"""The tent page's charts and what they are read from: hours as epoch seconds in one
statement (the same values as the roll-ups), a range seek per quantity in the roll-up index
(never the tent's whole history), the line and band broken where an hour has no data, and
the page's statement count fixed whatever the number of readings."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, insert

from growapp.models import ReadingHour, TentRange, utcnow
from growapp.services.environment import readings as svc
from growapp.services.environment.alerts import check_alerts, set_range
from growapp.services.environment.readings import ingest_readings
from growapp.web.environment.charts import env_chart
from tests.helpers import factories as f
from tests.helpers.statements import count_statements

NOW = datetime(2026, 12, 1, 12, 30, tzinfo=UTC)


@pytest.fixture
def tent(session):
    return f.make_tent(session, f.make_experiment(session, status="running"))


def _hours(*spans: tuple[int, int]) -> list[tuple]:
    """Points for hours ``a..b-1`` after NOW − 24 h (hour-aligned), mean 20 + h/10."""
    base = NOW.replace(minute=0) - timedelta(hours=24)
    return [((base + timedelta(hours=h)).timestamp(), 20 + h / 10, 19 + h / 10, 21 + h / 10)
            for a, b in spans for h in range(a, b)]


def _chart(points, rng=None):
    return env_chart(points, quantity="temperature", start=NOW - timedelta(hours=24), end=NOW,
                     rng=rng, title="Temperature, 24 h", zone=UTC)


def test_hour_series_is_the_roll_ups_as_epoch_seconds(session, tent):
    svc.ingest_readings(session, tent_id=tent.id, source="api", actor=None, now=NOW, items=[
        {"quantity": q, "value": v + i / 10, "at": (NOW - timedelta(minutes=25 * i)).isoformat()}
        for i in range(40) for q, v in (("temperature", 22), ("co2", 800))])
    start = NOW - timedelta(hours=7)
    series = svc.hour_series(session, tent_id=tent.id, start=start)
    rows = svc.list_hours(session, tent_ids=[tent.id], start=start)
    assert set(series) == {"temperature", "co2"}
    for q, points in series.items():
        want = [(h.hour.timestamp(), h.total / h.n, h.min, h.max) for h in rows
                if h.quantity == q]
        assert [p[0] for p in points] == [int(w[0]) for w in want]  # exact seconds
        assert all(isinstance(p[0], int) for p in points)
        assert [v for p in points for v in p[1:]] == pytest.approx(
            [v for w in want for v in w[1:]])
    assert series["temperature"][0][0] == int(NOW.replace(minute=0).timestamp()) - 7 * 3600


def _plan(connection, statement: str, params) -> str:
    if connection.dialect.name == "sqlite":
        rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", params).all()
        return " ".join(str(r[-1]) for r in rows)
    connection.exec_driver_sql("SET LOCAL enable_seqscan = off")  # a test table is tiny
    return " ".join(r[0] for r in connection.exec_driver_sql(f"EXPLAIN {statement}", params))


@pytest.mark.parametrize("which", ["hour_series", "list_hours"])
def test_a_week_of_roll_ups_is_a_range_seek_per_quantity(session, connection, tent, which):
    """Without the quantity in the WHERE clause a week is a scan over the tent's whole
    history in the (tent, quantity, hour) index: a year is 61,000 rows for 1,200. (Four
    months of roll-ups, and PostgreSQL's statistics of them, so its planner weighs a real
    history rather than an empty table.)"""
    base = NOW.replace(minute=0)
    session.execute(insert(ReadingHour), [
        {"tent_id": tent.id, "quantity": q, "hour": base - timedelta(hours=h), "n": 60,
         "total": 60.0 * h, "min": 1.0, "max": 2.0}
        for h in range(120 * 24) for q in svc.QUANTITIES])
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("ANALYZE reading_hours")
    sent = []

    def record(_conn, _cursor, statement, params, *_args):
        sent.append((statement, params))

    event.listen(connection, "before_cursor_execute", record)
    try:
        if which == "hour_series":
            svc.hour_series(session, tent_id=tent.id, start=NOW - timedelta(days=7))
        else:
            svc.list_hours(session, tent_ids=[tent.id], start=NOW - timedelta(days=7))
    finally:
        event.remove(connection, "before_cursor_execute", record)
    assert len(sent) == 1
    plan = _plan(connection, *sent[0])
    if connection.dialect.name == "sqlite":
        assert "quantity=? AND hour>?" in plan, plan
    else:
        cond = plan.split("Index Cond:", 1)[1]
        assert "quantity" in cond and "hour >=" in cond, plan


def test_chart_line_and_band_break_where_hours_have_no_data():
    whole = _chart(_hours((0, 24)))
    assert whole.gaps == 0 and whole.mean_path.count("M") == 1
    gapped = _chart(_hours((0, 8), (13, 24)))  # hours 8–12 without readings
    assert gapped.gaps == 1
    assert gapped.mean_path.count("M") == 2 and gapped.band_path.count("Z") == 2
    first, second = gapped.mean_path.split(" M")
    # the first run ends at hour 7's middle, the second starts at hour 13's
    end_x = float(first.rsplit("L", 1)[1].split(",")[0])
    start_x = float(second.split("L", 1)[0].split(",")[0])
    assert start_x - end_x == pytest.approx(6 * (360 - 44 - 10) / 24, abs=0.2)


def test_an_hour_alone_is_still_drawn_and_the_newest_is_the_dot():
    chart = _chart(_hours((2, 3), (10, 20)), rng=TentRange(low=18, high=21))
    assert chart.gaps == 1
    dash, line = chart.mean_path.split(" M")
    assert re.fullmatch(r"M[\d.]+,[\d.]+h3", dash)  # a 3 px dash, not an empty subpath
    assert re.fullmatch(r"M[\d.]+,[\d.]+h3V[\d.]+h-3Z", chart.band_path.split(" M")[0])
    x, y = chart.last_point
    assert line.endswith(f"{x:.1f},{y:.1f}")
    assert chart.point == "#d97706"  # hour 19's mean 21.9 is above the range's 21
    assert chart.range_box is not None


def test_chart_points_stay_inside_the_plot():
    # the hour containing the window's start sits left of it, the running hour right of now
    chart = _chart(_hours((0, 25)))
    xs = [float(m.group(1)) for m in re.finditer(r"([\d.]+),[\d.]+", chart.mean_path)]
    assert min(xs) == 44 and max(xs) == 350


def test_tent_page_statements_fixed_and_gap_shown(login_as, session, connection):
    client = login_as("viewer")
    counts = []
    for days in (1, 6):
        tent = f.make_tent(session, f.make_experiment(session, status="running"))
        now = utcnow()
        # every 20 minutes, but nothing from 3 to 9 hours ago: a gap in the 24 h chart
        items = [{"quantity": q, "value": v + (i % 7) / 10,
                  "at": (now - timedelta(minutes=20 * i)).isoformat()}
                 for i in range(days * 72) if not 9 <= i < 27
                 for q, v in (("temperature", 24), ("humidity", 60), ("co2", 900))]
        for chunk in range(0, len(items), 1000):
            ingest_readings(session, tent_id=tent.id, source="api", actor=None, now=now,
                            items=items[chunk:chunk + 1000])
        set_range(session, tent_id=tent.id, quantity="temperature", low=18, high=24.3,
                  for_minutes=5, actor=f.make_user(session, role="operator"))
        check_alerts(session, now=now)
        session.commit()
        url = f"/experiments/{tent.experiment_id}/tents/{tent.id}/environment"
        client.get(url)
        with count_statements(connection) as statements:
            resp = client.get(url)
        assert resp.status_code == 200
        # the test's savepoints aside (the request's session is one in the test transaction)
        counts.append(len([s for s in statements if "SAVEPOINT" not in s]))
        html = resp.get_data(as_text=True)
        assert html.count("<svg viewBox") == 6  # 24 h and 7 d for three quantities
        means = re.findall(r'<path d="([^"]+)" fill="none" stroke="#2f6fd0"', html)
        assert len(means) == 6 and all(m.count("M") == 2 for m in means), means
    assert counts[0] == counts[1] <= 9, counts


def test_page_dli_from_epoch_hours_matches_the_reports_reckoning(session, tent):
    """The tent page's DLI per local day (epoch-second hours) is the report's (datetimes),
    from PPFD, and from lux with the lamps' factor where a day has no PPFD."""
    from zoneinfo import ZoneInfo

    from growapp.models import TentSensorSettings
    from growapp.services.read.environment import daily_light, tent_environment

    minutes = range(0, 36 * 60, 10)
    svc.ingest_readings(session, tent_id=tent.id, source="api", actor=None, now=NOW, items=[
        {"quantity": "ppfd", "value": 300 + m % 400, "at": (NOW - timedelta(minutes=m))}
        for m in minutes if m < 20 * 60])
    svc.ingest_readings(session, tent_id=tent.id, source="api", actor=None, now=NOW, items=[
        {"quantity": "lux", "value": 20000 + m, "at": (NOW - timedelta(minutes=m))}
        for m in minutes])
    session.add(TentSensorSettings(tent_id=tent.id, lux_factor=0.015, stale_minutes=30))
    session.flush()
    zone = ZoneInfo("America/New_York")  # local days that are not UTC's
    session.info["tz"] = zone
    try:
        env = tent_environment(session, tent_id=tent.id, now=NOW)
        rows = svc.list_hours(session, tent_ids=[tent.id], start=NOW - timedelta(days=7))
        want = daily_light(rows, lux_factor=0.015, zone=zone)
    finally:
        session.info.pop("tz")
    assert len(want) == 3 and env.dli_by_day.keys() == want.keys()
    assert list(env.dli_by_day.values()) == pytest.approx(list(want.values()))
    no_ppfd_day = min(want)  # 36 h back: lux only on the first day
    assert want[no_ppfd_day] != daily_light(rows, lux_factor=0.02, zone=zone)[no_ppfd_day]
