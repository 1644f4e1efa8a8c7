"""The offline blueprint: the outbox's session check, the service worker at the root, the
manifest; the outbox marks on the pages; taps refused when another user is signed in."""

import re

from sqlalchemy import func, select

from growapp.models import FeedingLog
from tests.helpers import factories as f


def test_session_info_gives_user_token_and_limit(login_as, app):
    client = login_as("operator")
    resp = client.get("/offline/session")
    assert resp.status_code == 200
    assert resp.json["user_id"] == client.user.id
    assert resp.json["csrf_token"]
    assert resp.json["max_upload_bytes"] == app.config["MAX_CONTENT_LENGTH"]
    assert resp.headers["Cache-Control"] == "no-store"


def test_session_info_for_a_viewer_and_not_anonymous(login_as, client):
    assert login_as("viewer").get("/offline/session").status_code == 200
    resp = client.get("/offline/session")
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/login")


def test_service_worker_is_served_from_the_root(client):
    resp = client.get("/sw.js")
    assert resp.status_code == 200
    assert resp.mimetype == "text/javascript"
    assert resp.headers["Service-Worker-Allowed"] == "/"
    assert resp.headers["Cache-Control"] == "no-cache"
    assert b"data-offline-copy" in resp.data


def test_manifest_is_public_and_its_icons_exist(client):
    resp = client.get("/manifest.webmanifest")
    assert resp.status_code == 200 and resp.mimetype == "application/manifest+json"
    data = resp.json
    assert data["name"] == "growapp" and data["display"] == "standalone"
    assert data["theme_color"] and data["background_color"] and data["start_url"]
    assert {"192x192", "512x512"} <= {i["sizes"] for i in data["icons"]}
    assert any(i["purpose"] == "maskable" for i in data["icons"])
    for icon in data["icons"]:
        assert client.get(icon["src"]).status_code == 200, icon["src"]


def test_signed_in_pages_carry_the_outbox_and_the_user(login_as):
    client = login_as("operator")
    html = client.get("/experiments").get_data(as_text=True)
    assert re.search(r'id="outbox"[^>]*data-count="0"[^>]*data-refused="0"', html)
    assert f'<meta name="growapp-user" content="{client.user.id}">' in html
    assert 'rel="manifest" href="/manifest.webmanifest"' in html
    assert 'id="outbox-panel"' in html and 'id="signout-dialog"' in html
    assert re.search(r"js/outbox\.[0-9a-f]{10}\.js", html)  # hashed name (static_assets)


def test_signed_out_pages_have_no_user_and_no_outbox(client):
    html = client.get("/login").get_data(as_text=True)
    assert "growapp-user" not in html and 'id="outbox"' not in html
    assert re.search(r"js/outbox\.[0-9a-f]{10}\.js", html)  # clears cached pages once signed out


def test_floor_forms_are_marked_for_the_outbox(login_as, session):
    client = login_as("operator")
    exp, trays, plants, _r = f.make_running_experiment(session)
    session.commit()
    cockpit = client.get(f"/p/{plants[0].uuid}").get_data(as_text=True)
    for what in ("Fed", "Skipped", "Note", "Issue", "Photo"):
        assert f'data-outbox="{what}" data-outbox-subject="{plants[0].plant_code}"' in cockpit
    tray = client.get(f"/t/{trays[0].uuid}").get_data(as_text=True)
    assert 'data-outbox="Tray fed"' in tray and 'data-outbox="Tray moved"' in tray
    queue = client.get(f"/experiments/{exp.id}/feeding").get_data(as_text=True)
    assert 'data-outbox="Fed"' in queue and 'data-outbox="Tray fed"' in queue
    assert f'data-outbox-subject="{plants[0].plant_code}"' in queue
    observe = client.get(f"/experiments/{exp.id}/observe").get_data(as_text=True)
    assert observe.count("data-outbox=") == 3
    profile = client.get("/profile").get_data(as_text=True)
    assert "data-signout" in profile


def test_a_tap_of_another_user_is_refused_and_kept(hx_client, login_as, session):
    client = login_as("operator", client=hx_client)
    _exp, _t, plants, _r = f.make_running_experiment(session)
    session.commit()
    url = f"/p/{plants[0].uuid}/feed"
    data = {"status": "fed", "idempotency_key": "a" * 32}
    other = client.post(url, data=data, headers={"X-Outbox-User": str(client.user.id + 1)})
    assert other.status_code == 409 and other.headers["Outbox-Wrong-User"] == "true"
    assert session.scalar(select(func.count(FeedingLog.id))
                          .where(FeedingLog.plant_id == plants[0].id)) == 0
    mine = client.post(url, data=data, headers={"X-Outbox-User": str(client.user.id)})
    again = client.post(url, data=data, headers={"X-Outbox-User": str(client.user.id)})
    assert mine.status_code == again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert session.scalar(select(func.count(FeedingLog.id))
                          .where(FeedingLog.plant_id == plants[0].id)) == 1
