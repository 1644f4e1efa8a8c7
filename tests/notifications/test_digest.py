"""The daily digest: what is due (the read models' answers), sent once per opted-in user
and local day from the configured hour, never on a day with nothing due, never twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from growapp.models import DigestDay, EnvironmentAlert
from growapp.notifications import digest_mail
from growapp.services import digest
from growapp.services.schedules import manage as schedules
from tests.helpers import factories as f
from tests.helpers import mail

NOW = datetime(2026, 12, 1, 8, 30, tzinfo=UTC)
SETTINGS = {"ENV": "development", "PUBLIC_BASE_URL": "https://grow.example.org",
            "SMTP_HOST": "smtp.test", "SMTP_FROM": "growapp@example.org", "DIGEST_HOUR": 7,
            "TZINFO": UTC}


@pytest.fixture
def outbox(app, monkeypatch):
    return mail.install(monkeypatch, app)


def _busy_trial(session):
    exp, trays, _plants, _recipe = f.make_running_experiment(session, plants=2)
    exp.started_at = NOW - timedelta(days=9)  # week 1: the round is due
    operator = f.make_user(session, "operator")
    schedules.create_schedule(
        session, experiment_id=exp.id, actor=operator, action_type="water", title="Water TR1",
        timeframe="morning", rule={"kind": "interval", "every_days": 1},
        start_date=NOW.date() - timedelta(days=2), scope={"type": "tray", "ids": [trays[0].id]})
    tent_id = trays[0].slot.tent_id
    session.add(EnvironmentAlert(tent_id=tent_id, quantity="temperature", kind="range",
                                 detail="Temperature 31 °C, above 28 °C for 15 min",
                                 raised_at=NOW - timedelta(hours=1)))
    session.flush()
    return exp


def _subscriber(session, **kw):
    user = f.make_user(session, **kw)
    digest.set_digest(session, user=user, enabled=True)
    return user


def test_due_work_comes_from_the_read_models(session):
    exp = _busy_trial(session)
    session.info["tz"] = UTC
    [due] = [d for d in digest.due_work(session, now=NOW) if d.experiment_id == exp.id]
    assert due.feeding_due == 2
    assert (due.round_week, due.round_left, due.round_total) == (1, 2, 2)
    assert due.due_today == ["Water TR1"]
    assert [o.split(": ")[1] for o in due.overdue] == ["Water TR1", "Water TR1"]
    assert due.alerts == ["TN1: Temperature 31 °C, above 28 °C for 15 min"]
    assert due.items == 2 + 2 + 1 + 2 + 1


def test_sent_once_per_day_to_those_who_opted_in(session, outbox):
    exp = _busy_trial(session)
    wants = _subscriber(session)
    f.make_user(session)  # did not opt in
    _subscriber(session, active=False)
    assert digest_mail.send_daily_digests(session, settings=SETTINGS, now=NOW) == 1
    [msg] = outbox
    assert msg["To"] == wants.email and msg["Subject"].startswith("growapp: due today, Tue 01 Dec")
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    for line in ("Feeding due: 2 plants", "Weekly round, week 1: 2 of 2 plants to measure",
                 "Today: Water TR1", "Overdue since Sun 29 Nov: Water TR1",
                 "Alert: TN1: Temperature 31 °C"):
        assert line in text, line
    assert f"https://grow.example.org/experiments/{exp.id}/feeding" in text
    assert f'<a href="https://grow.example.org/experiments/{exp.id}/observe">' in html
    # the worker runs every 30 s: the rest of the day sends nothing more
    for minutes in (1, 60, 15 * 60):
        assert digest_mail.send_daily_digests(
            session, settings=SETTINGS, now=NOW + timedelta(minutes=minutes)) == 0
    assert len(outbox) == 1
    row = session.scalar(select(DigestDay).where(DigestDay.user_id == wants.id))
    assert (row.day, row.status, row.items) == (NOW.date(), "sent", 8)
    # the next day it is sent again
    assert digest_mail.send_daily_digests(session, settings=SETTINGS,
                                          now=NOW + timedelta(days=1)) == 1


def test_nothing_before_the_hour(session, outbox):
    _busy_trial(session)
    _subscriber(session)
    early = NOW.replace(hour=6, minute=59)
    assert digest_mail.send_daily_digests(session, settings=SETTINGS, now=early) == 0
    assert outbox == [] and session.scalar(select(DigestDay.id)) is None


def test_nothing_sent_when_nothing_is_due(session, outbox):
    exp = f.make_experiment(session, status="stopped")  # stopped trials owe nothing
    f.make_tent(session, exp)
    user = _subscriber(session)
    assert digest_mail.send_daily_digests(session, settings=SETTINGS, now=NOW) == 0
    assert outbox == []
    row = session.scalar(select(DigestDay).where(DigestDay.user_id == user.id))
    assert row.status == "empty"


def test_archived_trials_are_left_out(session, outbox):
    exp = _busy_trial(session)
    exp.status, exp.archived_at = "stopped", NOW
    _subscriber(session)
    session.info["tz"] = UTC
    assert all(d.experiment_id != exp.id for d in digest.due_work(session, now=NOW))


def test_the_day_is_the_installations(session, outbox):
    _busy_trial(session)
    user = _subscriber(session)
    auckland = {**SETTINGS, "TZINFO": ZoneInfo("Pacific/Auckland")}  # UTC+13 in December
    evening = datetime(2026, 11, 30, 19, 0, tzinfo=UTC)  # 08:00 on 1 December there
    assert digest_mail.send_daily_digests(session, settings=auckland,
                                          now=evening - timedelta(hours=2)) == 0  # 06:00
    assert digest_mail.send_daily_digests(session, settings=auckland, now=evening) == 1
    assert session.scalar(select(DigestDay.day).where(DigestDay.user_id == user.id)) == \
        NOW.date()


def test_a_day_claimed_elsewhere_is_not_sent_again(session, outbox):
    _busy_trial(session)
    user = _subscriber(session)
    assert digest.claim_day(session, user_id=user.id, day=NOW.date())  # the other server
    assert not digest.claim_day(session, user_id=user.id, day=NOW.date())
    assert digest_mail.send_daily_digests(session, settings=SETTINGS, now=NOW) == 0
    assert outbox == []


def test_a_failed_send_is_recorded_not_retried(session):
    _busy_trial(session)
    user = _subscriber(session)
    no_smtp = {**SETTINGS, "SMTP_HOST": None}
    assert digest_mail.send_daily_digests(session, settings=no_smtp, now=NOW) == 0
    row = session.scalar(select(DigestDay).where(DigestDay.user_id == user.id))
    assert row.status == "failed" and "GROWAPP_SMTP_HOST" in row.error
    assert digest_mail.send_daily_digests(session, settings=SETTINGS, now=NOW) == 0


def test_opt_in_and_out_are_audited(session):
    from growapp.models import AuditLog

    user = f.make_user(session, "viewer")
    assert not digest.wants_digest(session, user_id=user.id)
    digest.set_digest(session, user=user, enabled=True)
    digest.set_digest(session, user=user, enabled=True)  # twice: still one row
    assert digest.wants_digest(session, user_id=user.id)
    digest.set_digest(session, user=user, enabled=False)
    assert not digest.wants_digest(session, user_id=user.id)
    actions = session.scalars(select(AuditLog.action).where(
        AuditLog.table_name == "digest_subscriptions")).all()
    assert actions == ["insert", "delete"]


@pytest.mark.parametrize(("raw", "hour"), [("", 7), ("0", 0), ("23", 23)])
def test_digest_hour_setting(monkeypatch, raw, hour):
    from growapp.config import build_settings

    monkeypatch.setenv("GROWAPP_DIGEST_HOUR", raw)
    assert build_settings()["DIGEST_HOUR"] == hour


@pytest.mark.parametrize("raw", ["24", "-1", "7am", "7.5"])
def test_a_bad_digest_hour_stops_start_up(monkeypatch, raw):
    from growapp.config import ConfigError, build_settings

    monkeypatch.setenv("GROWAPP_DIGEST_HOUR", raw)
    with pytest.raises(ConfigError, match="GROWAPP_DIGEST_HOUR"):
        build_settings()
