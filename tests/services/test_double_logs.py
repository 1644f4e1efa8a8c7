"""A second feed within 30 minutes asks first (pages pass ask_if_recent; the API never asks)."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from growapp.models import FeedingLog, utcnow
from growapp.services import corrections
from growapp.services import feeding as feed_svc
from growapp.services.errors import Conflict
from tests.helpers import factories as f


@pytest.fixture
def op(session):
    return f.make_user(session, "operator")


def test_second_plant_feed_within_30_minutes_asks(session, op):
    _exp, _t, plants, _r = f.make_running_experiment(session)
    now = utcnow()
    feed_svc.log_feeding(session, plant_uuid=plants[0].uuid, actor=op, when=now - timedelta(
        minutes=3), ask_if_recent=True, now=now - timedelta(minutes=3))
    with pytest.raises(Conflict) as err:
        feed_svc.log_feeding(session, plant_uuid=plants[0].uuid, actor=op, ask_if_recent=True,
                             now=now)
    assert err.value.detail == f"Fed 3 min ago by {op.display_name} — feed again?"
    d = err.value.diagnostics
    assert d["recent_feed"] is True and d["minutes_ago"] == 3 and d["by"] == op.display_name
    assert d["last_fed_at"].startswith((now - timedelta(minutes=3)).strftime("%Y-%m-%dT%H:%M"))
    # another plant is not asked about; confirm (no ask) logs the second feed
    feed_svc.log_feeding(session, plant_uuid=plants[1].uuid, actor=op, ask_if_recent=True)
    feed_svc.log_feeding(session, plant_uuid=plants[0].uuid, actor=op, now=now)
    assert session.scalar(select(func.count(FeedingLog.id)).where(
        FeedingLog.plant_id == plants[0].id)) == 2


def test_window_is_thirty_minutes_and_skips_and_voids_do_not_ask(session, op):
    _exp, _t, plants, _r = f.make_running_experiment(session)
    now = utcnow()
    feed_svc.log_feeding(session, plant_uuid=plants[0].uuid, actor=op,
                         when=now - timedelta(minutes=31))
    feed_svc.log_feeding(session, plant_uuid=plants[0].uuid, actor=op, ask_if_recent=True,
                         now=now)  # 31 minutes: no question
    feed_svc.log_feeding(session, plant_uuid=plants[1].uuid, actor=op, status="skipped",
                         reason="wet", when=now - timedelta(minutes=1))
    feed_svc.log_feeding(session, plant_uuid=plants[1].uuid, actor=op, ask_if_recent=True,
                         now=now)  # a skip is not a feed
    plant3 = f.make_plant(session, _exp, grade="A", baseline=True, tray=_t[0])
    _t[0].capacity = 3
    wrong = feed_svc.log_feeding(session, plant_uuid=plant3.uuid, actor=op,
                                 when=now - timedelta(minutes=2))
    corrections.void_record(session, kind="feeding", record_id=wrong.id, actor=op,
                            reason="wrong plant", now=now)
    feed_svc.log_feeding(session, plant_uuid=plant3.uuid, actor=op, ask_if_recent=True,
                         now=now)  # the voided feed does not count


def test_tray_feed_within_30_minutes_asks_and_api_style_call_does_not(session, op):
    _exp, trays, plants, _r = f.make_running_experiment(session, plants=3)
    now = utcnow()
    feed_svc.feed_tray(session, tray_id=trays[0].id, actor=op, now=now - timedelta(minutes=12))
    with pytest.raises(Conflict, match=r"^Tray TR1: fed 12 min ago by .* — feed again\?$") as e:
        feed_svc.feed_tray(session, tray_id=trays[0].id, actor=op, ask_if_recent=True, now=now)
    assert e.value.diagnostics["minutes_ago"] == 12
    # one plant of the tray fed on its own also makes the tray ask
    other = f.make_running_experiment(session, plants=2)
    feed_svc.log_feeding(session, plant_uuid=other[2][1].uuid, actor=op,
                         when=now - timedelta(seconds=20))
    with pytest.raises(Conflict, match="just now"):
        feed_svc.feed_tray(session, tray_id=other[1][0].id, actor=op, ask_if_recent=True,
                           now=now)
    assert len(feed_svc.feed_tray(session, tray_id=trays[0].id, actor=op, now=now)) == 3
