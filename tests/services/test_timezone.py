"""GROWAPP_TIMEZONE: refused when unknown; "today" in the feeding queue, the schedule plan
and the weekly round follows the zone; exports carry ISO times with the zone's offset."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from growapp.config import ConfigError, build_settings
from growapp.services import clock
from growapp.services import feeding as feed_svc
from growapp.services.exports import feedings_rows
from growapp.services.observations import current_week
from growapp.services.read.feeding_queue import feeding_queue
from growapp.services.schedules import create_schedule, plan
from tests.helpers import factories as f

AUCKLAND = ZoneInfo("Pacific/Auckland")  # UTC+13 in January (daylight saving)
LA = ZoneInfo("America/Los_Angeles")  # UTC-8 in January


def test_unknown_zone_refuses_start_up_with_a_clear_message(monkeypatch):
    monkeypatch.setenv("GROWAPP_TIMEZONE", "Mars/Olympus_Mons")
    with pytest.raises(ConfigError, match=r"GROWAPP_TIMEZONE='Mars/Olympus_Mons' is not a time "
                                          r"zone name\. Use an IANA name such as Europe/Berlin"):
        build_settings({"SECRET_KEY": "x"})
    monkeypatch.setenv("GROWAPP_TIMEZONE", "../etc/passwd")
    with pytest.raises(ConfigError):
        build_settings({"SECRET_KEY": "x"})
    with pytest.raises(clock.UnknownZone):
        clock.load_zone("Europe/Berlin\x00")
    monkeypatch.setenv("GROWAPP_TIMEZONE", "Europe/Berlin")
    assert build_settings({"SECRET_KEY": "x"})["TZINFO"] == ZoneInfo("Europe/Berlin")
    monkeypatch.delenv("GROWAPP_TIMEZONE")
    settings = build_settings({"SECRET_KEY": "x"})
    assert settings["TZINFO"] is UTC and settings["TIMEZONE"] is None


def test_day_boundaries_far_from_utc():
    now = datetime(2026, 1, 15, 12, 30, tzinfo=UTC)  # 01:30 on the 16th in Auckland
    assert clock.local_today(AUCKLAND, now) == date(2026, 1, 16)
    assert clock.day_start(AUCKLAND, now) == datetime(2026, 1, 15, 11, 0, tzinfo=UTC)
    now = datetime(2026, 1, 16, 5, 0, tzinfo=UTC)  # 21:00 on the 15th in Los Angeles
    assert clock.local_today(LA, now) == date(2026, 1, 15)
    assert clock.day_start(LA, now) == datetime(2026, 1, 15, 8, 0, tzinfo=UTC)
    assert clock.iso_local(datetime(2026, 1, 16, 5, 0, tzinfo=UTC), LA) == \
        "2026-01-15T21:00:00-08:00"


@pytest.mark.parametrize(("tz", "skipped_at", "now", "still_skipped"), [
    # Auckland: skipped at 08:00 local on the 16th; at 23:00 local the same day it still counts
    (AUCKLAND, datetime(2026, 1, 15, 19, 0, tzinfo=UTC), datetime(2026, 1, 16, 10, 0,
                                                                   tzinfo=UTC), True),
    # …and at 00:30 local on the 17th (still the 16th in UTC) the plant is due again
    (AUCKLAND, datetime(2026, 1, 15, 19, 0, tzinfo=UTC), datetime(2026, 1, 16, 11, 30,
                                                                   tzinfo=UTC), False),
    # Los Angeles: skipped at 17:00 local on the 15th (01:00 UTC on the 16th); at 23:00 local
    # on the 15th (07:00 UTC) it still counts
    (LA, datetime(2026, 1, 16, 1, 0, tzinfo=UTC), datetime(2026, 1, 16, 7, 0, tzinfo=UTC), True),
    # …at 00:30 local on the 16th it does not (both are the 16th in UTC)
    (LA, datetime(2026, 1, 16, 1, 0, tzinfo=UTC), datetime(2026, 1, 16, 8, 30, tzinfo=UTC),
     False),
])
def test_feeding_queue_skip_counts_for_the_local_day(session, tz, skipped_at, now,
                                                     still_skipped):
    session.info["tz"] = tz
    exp, _t, plants, _r = f.make_running_experiment(session, plants=1)
    op = f.make_user(session)
    feed_svc.log_feeding(session, plant_uuid=plants[0].uuid, actor=op, status="skipped",
                         reason="wet", when=skipped_at)
    due = feeding_queue(session, exp.id, now=now).due
    assert (due == []) is still_skipped


def test_schedule_today_and_auto_done_follow_the_zone(session):
    session.info["tz"] = AUCKLAND
    exp, _t, plants, _r = f.make_running_experiment(session, plants=1)
    op = f.make_user(session)
    day = date(2026, 1, 16)
    create_schedule(session, experiment_id=exp.id, actor=op, action_type="feed", title="Feed",
                    timeframe="morning", rule={"kind": "interval", "every_days": 1},
                    start_date=day - timedelta(days=1),
                    scope={"type": "plant", "ids": [plants[0].id]})
    # 08:00 on the 16th in Auckland is 19:00 on the 15th in UTC
    feed_svc.log_feeding(session, plant_uuid=plants[0].uuid, actor=op,
                         when=datetime(2026, 1, 15, 19, 0, tzinfo=UTC))
    days = plan(session, experiment_id=exp.id, start=day - timedelta(days=1), days=2,
                today=day)["days"]
    status = {d["date"]: d["groups"][0]["actions"][0]["status"] for d in days}
    assert status == {"2026-01-15": "overdue", "2026-01-16": "done"}
    session.info["tz"] = UTC  # the same feed is on the 15th in UTC
    days = plan(session, experiment_id=exp.id, start=day - timedelta(days=1), days=2,
                today=day)["days"]
    status = {d["date"]: d["groups"][0]["actions"][0]["status"] for d in days}
    assert status == {"2026-01-15": "done", "2026-01-16": "due"}


def test_default_plan_today_is_the_local_date(session, monkeypatch):
    session.info["tz"] = AUCKLAND
    exp = f.make_experiment(session)
    fixed = datetime(2026, 1, 15, 12, 30, tzinfo=UTC)  # the 16th in Auckland
    monkeypatch.setattr(clock, "utcnow", lambda: fixed)
    from growapp.services.schedules.plan import due_today_count
    assert clock.local_today(clock.zone_of(session)) == date(2026, 1, 16)
    assert due_today_count(session, exp.id) == 0


def test_weekly_round_week_turns_at_local_midnight():
    exp = type("E", (), {})()
    exp.started_at = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)  # 1 Jan 04:00 in Los Angeles
    just_before = datetime(2026, 1, 8, 7, 59, tzinfo=UTC)  # 7 Jan 23:59 in Los Angeles
    after = datetime(2026, 1, 8, 8, 1, tzinfo=UTC)  # 8 Jan 00:01 in Los Angeles
    assert current_week(exp, just_before, tz=LA) == 0
    assert current_week(exp, after, tz=LA) == 1
    # in Auckland the start was already 2 Jan, so week 1 starts on 9 Jan local
    assert current_week(exp, datetime(2026, 1, 8, 10, 0, tzinfo=UTC), tz=AUCKLAND) == 0
    assert current_week(exp, datetime(2026, 1, 8, 11, 0, tzinfo=UTC), tz=AUCKLAND) == 1


def test_export_times_carry_the_zone_offset(session):
    session.info["tz"] = AUCKLAND
    exp, _t, plants, _r = f.make_running_experiment(session, plants=1)
    op = f.make_user(session)
    feed_svc.log_feeding(session, plant_uuid=plants[0].uuid, actor=op,
                         when=datetime(2026, 1, 15, 19, 0, tzinfo=UTC))
    rows = list(feedings_rows(session, exp.id))
    assert rows[1][0] == "2026-01-16T08:00:00+13:00"
    session.info["tz"] = UTC
    assert list(feedings_rows(session, exp.id))[1][0] == "2026-01-15T19:00:00+00:00"


def test_report_schedule_compliance_counts_local_days(session):
    from growapp.services.reports import schedule_compliance

    session.info["tz"] = AUCKLAND
    exp, _t, plants, _r = f.make_running_experiment(session, plants=1)
    exp.started_at = datetime(2026, 1, 14, 20, 0, tzinfo=UTC)  # 15 Jan 09:00 in Auckland
    op = f.make_user(session)
    create_schedule(session, experiment_id=exp.id, actor=op, action_type="feed", title="Feed",
                    timeframe="morning", rule={"kind": "interval", "every_days": 1},
                    start_date=date(2026, 1, 15), scope={"type": "plant", "ids": [plants[0].id]})
    feed_svc.log_feeding(session, plant_uuid=plants[0].uuid, actor=op,
                         when=datetime(2026, 1, 14, 21, 0, tzinfo=UTC))  # 15 Jan 10:00 local
    now = datetime(2026, 1, 15, 20, 0, tzinfo=UTC)  # 16 Jan 09:00 local: the 15th is past
    assert schedule_compliance(session, exp, now)["feed"] == {
        "done": 0, "automatic": 1, "skipped": 0, "missed": 0}
