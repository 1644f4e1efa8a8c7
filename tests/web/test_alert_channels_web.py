"""Admin → Alert channels: full pages and htmx fragments, 422 and 409 fragments, roles,
CSRF, the secret shown once, audit rows, a fixed number of statements; the profile's
digest opt-in."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from growapp.models import AlertChannel, AlertDelivery, AuditLog, DigestSubscription
from growapp.services import alert_channels as svc
from growapp.services import channel_secrets
from tests.helpers.statements import count_statements


@pytest.fixture
def admin(login_as):
    return login_as("admin")


def _hx(client):
    client.environ_base["HTTP_HX_REQUEST"] = "true"
    return client


def test_page_and_roles(admin, login_as, client):
    resp = admin.get("/admin/alerts")
    assert resp.status_code == 200 and b"<html" in resp.data
    assert b"Add a webhook" in resp.data and b"Alert channels" in resp.data
    assert login_as("operator").get("/admin/alerts").status_code == 403
    assert login_as("operator").post("/admin/alerts/webhooks", data={
        "name": "x", "url": "https://h.example.org/"}).status_code == 403
    assert client.get("/admin/alerts").status_code in (302, 401)


def test_post_without_csrf_is_refused(admin, session):
    resp = admin.post("/admin/alerts/emails", data={"name": "x", "email": "x@example.org"},
                      csrf=False)
    assert resp.status_code in (400, 403)
    assert session.scalar(select(func.count(AlertChannel.id))) == 0


def test_add_webhook_shows_the_secret_once(admin, session):
    hx = _hx(admin)
    resp = hx.post("/admin/alerts/webhooks", data={"name": "Ops", "url": "https://h.example.org/x"})
    assert resp.status_code == 201 and b"<html" not in resp.data
    assert resp.headers.get("Vary") and "HX-Request" in resp.headers["Vary"]
    channel = session.scalar(select(AlertChannel))
    secret = channel_secrets.unseal_for(session, channel.secret)
    assert channel.secret != secret  # sealed at rest
    assert secret.encode() in resp.data and b'id="alert-channels"' in resp.data
    page = admin.get("/admin/alerts")
    assert secret.encode() not in page.data and f"secret …{secret[-4:]}".encode() in page.data
    assert session.scalar(select(AuditLog).where(AuditLog.table_name == "alert_channels",
                                                 AuditLog.action == "insert"))


@pytest.mark.parametrize("url", ["http://169.254.169.254/latest/meta-data/",
                                 "https://metadata.google.internal/", "http://example.org/"])
def test_refused_url_is_a_422_fragment(admin, session, url):
    resp = _hx(admin).post("/admin/alerts/webhooks", data={"name": "Ops", "url": url})
    assert resp.status_code == 422 and b"<html" not in resp.data
    assert b'class="error"' in resp.data and b"Add a webhook" in resp.data
    assert session.scalar(select(func.count(AlertChannel.id))) == 0


def test_refused_url_full_page(admin):
    resp = admin.post("/admin/alerts/webhooks", data={"name": "", "url": "https://169.254.1.1/"})
    assert resp.status_code == 422 and b"<html" in resp.data
    assert b"Link-local and cloud metadata addresses" in resp.data
    assert b"Give the channel a name" in resp.data


def test_email_channel_test_disable_enable_delete(admin, session):
    hx = _hx(admin)
    resp = hx.post("/admin/alerts/emails", data={"name": "Lead", "email": "lead@example.org"})
    assert resp.status_code == 200 and b"lead@example.org will get the alerts" in resp.data
    channel = session.scalar(select(AlertChannel))
    again = hx.post("/admin/alerts/emails", data={"name": "Lead", "email": "lead@example.org"})
    assert again.status_code == 409 and b"already gets the alerts" in again.data
    resp = hx.post(f"/admin/alerts/{channel.id}/test")
    assert resp.status_code == 200 and b"Test message queued" in resp.data
    assert b"waiting" in resp.data  # the delivery log
    assert session.scalar(select(AlertDelivery.event)) == "test"
    resp = hx.post(f"/admin/alerts/{channel.id}/disable")
    assert resp.status_code == 200 and b"Turn on" in resp.data
    refused = hx.post(f"/admin/alerts/{channel.id}/test")
    assert refused.status_code == 409 and b"is turned off" in refused.data
    assert b"<html" not in refused.data
    assert hx.post(f"/admin/alerts/{channel.id}/enable").status_code == 200
    admin.environ_base.pop("HTTP_HX_REQUEST")  # now a plain form post
    resp = admin.post(f"/admin/alerts/{channel.id}/delete")
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/admin/alerts")
    assert session.scalar(select(func.count(AlertChannel.id))) == 0
    assert admin.post(f"/admin/alerts/{channel.id}/delete").status_code == 404
    actions = session.scalars(select(AuditLog.action).where(
        AuditLog.table_name == "alert_channels").order_by(AuditLog.id)).all()
    assert actions == ["insert", "update", "update", "delete"]


def test_page_statements_do_not_grow_with_channels_and_deliveries(admin, session, connection):
    user = admin.user
    counts = []
    for n in (1, 12):
        for i in range(n):
            c = svc.create_email_channel(session, name=f"C{n}-{i}",
                                         email=f"c{n}-{i}@example.org", actor=user)
            svc.send_test(session, channel_id=c.id, actor=user)
        session.commit()
        admin.get("/admin/alerts")
        with count_statements(connection) as statements:
            resp = admin.get("/admin/alerts")
        assert resp.status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


def test_profile_digest_opt_in(login_as, session):
    viewer = login_as("viewer")
    page = viewer.get("/profile")
    assert b"Daily digest" in page.data and b"07:00" in page.data
    resp = _hx(viewer).post("/profile/digest", data={"digest": "y"})
    assert resp.status_code == 200 and b"<html" not in resp.data
    assert b"Daily digest on." in resp.data and b'id="profile-digest"' in resp.data
    assert session.scalar(select(DigestSubscription.user_id)) == viewer.user.id
    viewer.environ_base.pop("HTTP_HX_REQUEST")
    resp = viewer.post("/profile/digest", data={})
    assert resp.status_code == 303
    assert session.scalar(select(func.count(DigestSubscription.id))) == 0
