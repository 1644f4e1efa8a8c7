"""Pages: "feed again?" within 30 minutes (cockpit, tray page, feeding queue), "Fix a mistake"
on the cockpit, times in the installation's zone and the admin note when it is unset."""

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from growapp import create_app
from growapp.models import FeedingLog, Note, utcnow
from growapp.services import feeding as feed_svc
from growapp.services import observations as obs_svc
from growapp.web.templating import _when
from tests.helpers import factories as f
from tests.helpers.settings import app_settings


def _count(session, plant):
    session.expire_all()
    return session.scalar(select(func.count(FeedingLog.id)).where(
        FeedingLog.plant_id == plant.id, FeedingLog.voided_at.is_(None)))


def _feed_again_form(body: str) -> dict:
    form = re.search(r'<form class="feed-again"(.*?)</form>', body, re.S).group(0)
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', form))
    action = re.search(r'hx-post="([^"]+)"', form).group(1)
    return {"action": action, "fields": fields, "html": form}


def test_cockpit_asks_before_a_second_feed_then_feeds_again(hx_client, login_as, session):
    client = login_as("operator", client=hx_client)
    _exp, _t, plants, _r = f.make_running_experiment(session)
    feed_svc.log_feeding(session, plant_uuid=plants[0].uuid, actor=client.user,
                         when=utcnow() - timedelta(minutes=3))
    session.commit()
    resp = client.post(f"/p/{plants[0].uuid}/feed", data={"status": "fed",
                                                           "idempotency_key": "k-1"})
    body = resp.get_data(as_text=True)
    assert resp.status_code == 409 and "<html" not in body and 'id="cockpit"' in body
    assert f"Fed 3 min ago by {client.user.display_name} — feed again?" in body
    again = _feed_again_form(body)
    assert "Feed again" in again["html"] and again["fields"]["confirm"] == "1"
    assert again["fields"]["idempotency_key"] != "k-1" and again["fields"]["status"] == "fed"
    assert again["action"] == f"/p/{plants[0].uuid}/feed"
    assert 'hx-target="#cockpit"' in again["html"]
    assert _count(session, plants[0]) == 1
    ok = client.post(again["action"], data=again["fields"])
    assert ok.status_code == 200 and _count(session, plants[0]) == 2


def test_tray_page_asks_before_feeding_the_tray_again(hx_client, login_as, session):
    client = login_as("operator", client=hx_client)
    _exp, trays, plants, _r = f.make_running_experiment(session)
    feed_svc.feed_tray(session, tray_id=trays[0].id, actor=client.user)
    session.commit()
    resp = client.post(f"/t/{trays[0].uuid}/feed", data={"idempotency_key": "t-1"})
    body = resp.get_data(as_text=True)
    assert resp.status_code == 409 and 'id="tray-panel"' in body and "<html" not in body
    assert "Tray TR1: fed just now by" in body and "feed again?" in body
    again = _feed_again_form(body)
    assert 'hx-target="#tray-panel"' in again["html"]
    assert client.post(again["action"], data=again["fields"]).status_code == 200
    assert _count(session, plants[0]) == 2


def test_feeding_queue_asks_for_a_plant_and_a_tray(hx_client, login_as, session):
    client = login_as("operator", client=hx_client)
    exp, trays, plants, _r = f.make_running_experiment(session)
    feed_svc.log_feeding(session, plant_uuid=plants[0].uuid, actor=client.user)
    session.commit()
    base = f"/experiments/{exp.id}/feeding"
    resp = client.post(f"{base}/plants", data={"plant_uuid": str(plants[0].uuid),
                                               "idempotency_key": "q-1"})
    body = resp.get_data(as_text=True)
    assert resp.status_code == 409 and 'id="feeding-queue"' in body
    assert "Fed just now by" in body
    again = _feed_again_form(body)
    assert again["fields"]["plant_uuid"] == str(plants[0].uuid)
    assert 'hx-target="#feeding-queue"' in again["html"]
    assert client.post(again["action"], data=again["fields"]).status_code == 200
    assert _count(session, plants[0]) == 2
    tray = client.post(f"{base}/trays/{trays[0].id}", data={"idempotency_key": "q-2"})
    assert tray.status_code == 409 and "Tray TR1: fed just now" in tray.get_data(as_text=True)
    # the direct per-plant route asks too
    direct = client.post(f"{base}/plants/{plants[1].uuid}", data={})
    assert direct.status_code == 200
    assert client.post(f"{base}/plants/{plants[1].uuid}", data={}).status_code == 409


def test_api_feed_never_asks(login_as, session):
    client = login_as("operator")
    _exp, trays, plants, _r = f.make_running_experiment(session)
    session.commit()
    for _ in range(2):
        assert client.post(f"/api/v1/plants/{plants[0].uuid}/feed", json={}).status_code == 201
        assert client.post(f"/api/v1/trays/{trays[0].id}/feed", json={}).status_code == 201


def test_fix_a_mistake_on_the_cockpit(hx_client, login_as, session):
    client = login_as("operator", client=hx_client)
    exp, _t, plants, _r = f.make_running_experiment(session)
    log = feed_svc.log_feeding(session, plant_uuid=plants[0].uuid, actor=client.user)
    note = obs_svc.add_note(session, plant_uuid=plants[0].uuid, text="aphdis", actor=client.user)
    session.commit()
    page = client.get(f"/p/{plants[0].uuid}", headers={"HX-Request": "false"})
    # The panel loads when scrolled to (its four queries are not on the cockpit's budget).
    assert f'hx-get="/p/{plants[0].uuid}/amend" hx-trigger="revealed"' in page.get_data(True)
    html = client.get(f"/p/{plants[0].uuid}/amend").get_data(as_text=True)
    assert "<html" not in html
    assert "Fix a mistake" in html and f'id="amend-feeding-{log.id}"' in html
    assert f"/p/{plants[0].uuid}/amend/feeding/{log.id}/void" in html
    base = f"/p/{plants[0].uuid}/amend"
    no_reason = client.post(f"{base}/note/{note.id}", data={"text": "aphids", "reason": ""})
    assert no_reason.status_code == 422 and "Give a reason" in no_reason.get_data(as_text=True)
    fixed = client.post(f"{base}/note/{note.id}", data={"text": "aphids", "reason": "typo"})
    assert fixed.status_code == 200 and "Note corrected." in fixed.get_data(as_text=True)
    session.expire_all()
    assert session.get(Note, note.id).text == "aphids"
    voided = client.post(f"{base}/feeding/{log.id}/void", data={"reason": "wrong plant"})
    body = voided.get_data(as_text=True)
    assert voided.status_code == 200 and "Feed voided." in body
    assert "Feed — never fed" in body  # due again on the cockpit
    assert _count(session, plants[0]) == 0
    again = client.post(f"{base}/feeding/{log.id}/void", data={"reason": "again"})
    assert again.status_code == 409
    assert client.post(f"{base}/bogus/{log.id}", data={"reason": "x"}).status_code == 404
    assert client.post(f"{base}/feeding/{log.id}", data={"reason": "x", "amount": "3"}
                       ).status_code == 409  # voided rows cannot be corrected


def test_others_and_viewers_cannot_fix(hx_client, login_as, session, app):
    owner = f.make_user(session, "operator")
    _exp, _t, plants, _r = f.make_running_experiment(session)
    log = feed_svc.log_feeding(session, plant_uuid=plants[0].uuid, actor=owner)
    session.commit()
    other = login_as("operator", client=hx_client)
    html = other.get(f"/p/{plants[0].uuid}/amend").get_data(as_text=True)
    assert "Fix a mistake" not in html
    url = f"/p/{plants[0].uuid}/amend/feeding/{log.id}/void"
    assert other.post(url, data={"reason": "x"}).status_code == 403
    viewer = login_as("viewer", client=app.test_client())
    assert "Fix a mistake" not in viewer.get(f"/p/{plants[0].uuid}").get_data(as_text=True)
    assert viewer.post(url, data={"reason": "x"}).status_code == 403
    assert _count(session, plants[0]) == 1


def test_times_in_the_installation_zone_and_admin_note(database_url, session, login_as, app):
    admin = login_as("admin")
    assert 'id="timezone-note"' in admin.get("/admin/users").get_data(as_text=True)
    berlin = create_app(app_settings(database_url, TIMEZONE="Europe/Berlin",
                                     TZINFO=ZoneInfo("Europe/Berlin")))
    with berlin.app_context():
        assert _when(datetime(2026, 1, 15, 7, 45, tzinfo=UTC)) == "2026-01-15 08:45 CET"
        assert _when(datetime(2026, 7, 15, 7, 45, tzinfo=UTC)) == "2026-07-15 09:45 CEST"
        assert berlin.jinja_env.globals["TIMEZONE_SET"] is True
        assert berlin.extensions["growapp_db"].new_session().info["tz"] == ZoneInfo(
            "Europe/Berlin")
    with app.app_context():
        assert _when(datetime(2026, 1, 15, 7, 45, tzinfo=UTC)) == "2026-01-15 07:45 UTC"
    berlin.extensions["growapp_db"].engine.dispose()
