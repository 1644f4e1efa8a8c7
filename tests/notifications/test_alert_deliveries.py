"""Alert deliveries: a raised and a cleared alert reach a real local HTTP server, signed
(checked here with hashlib/hmac, not the app's own function); a failure is retried after
the backoff; email goes to the (fake) SMTP server; a second check, a second queueing or a
second worker delivers nothing twice; addresses refused when the URL was saved are
refused again when a name resolves to them."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from growapp.models import AlertDelivery, Event
from growapp.notifications import sender, webhook
from growapp.services import alert_channels as channels
from growapp.services import alert_deliveries as deliveries
from growapp.services.environment import alerts as env_alerts
from growapp.services.environment.readings import ingest_readings
from tests.helpers import factories as f
from tests.helpers import mail
from tests.helpers.webhooks import webhook_receiver

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
SETTINGS = {"ENV": "development", "PUBLIC_BASE_URL": "https://grow.example.org"}


@pytest.fixture
def tent(session):
    exp = f.make_experiment(session, status="running")
    tent = f.make_tent(session, exp)
    env_alerts.set_range(session, tent_id=tent.id, quantity="temperature", low=18, high=28,
                         for_minutes=0, actor=f.make_user(session))
    return tent


def _reading(session, tent, value, at):
    ingest_readings(session, tent_id=tent.id, source="api", actor=None, now=at,
                    items=[{"quantity": "temperature", "value": value, "at": at.isoformat()}])


def _raise_and_clear(session, tent):
    _reading(session, tent, 31, NOW)
    raised = env_alerts.check_alerts(session, now=NOW)
    _reading(session, tent, 24, NOW + timedelta(minutes=1))
    cleared = env_alerts.check_alerts(session, now=NOW + timedelta(minutes=1))
    assert [c.raised for c in raised + cleared] == [True, False]
    return raised[0].alert


def _expected_signature(secret: str, headers: dict, body: bytes) -> str:
    signed = headers["X-Growapp-Timestamp"].encode() + b"." + body
    return "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def test_raised_and_cleared_reach_a_real_server_signed(session, tent):
    admin = f.make_user(session, role="admin")
    with webhook_receiver() as hook:
        channel, secret = channels.create_webhook(session, name="Ops", url=hook.url, secret="",
                                                  actor=admin, production=False)
        alert = _raise_and_clear(session, tent)
        assert hook.requests == []  # nothing is sent by the check itself
        assert sender.send_due_deliveries(session, settings=SETTINGS,
                                          now=NOW + timedelta(minutes=2)) == 2
    assert [r.path for r in hook.requests] == ["/hooks/growapp"] * 2
    events = []
    for r in hook.requests:
        assert r.headers["Content-Type"] == "application/json"
        assert r.headers["X-Growapp-Signature"] == _expected_signature(secret, r.headers, r.body)
        assert abs(int(r.headers["X-Growapp-Timestamp"]) - time.time()) < 60
        assert webhook.verify(secret, r.headers["X-Growapp-Timestamp"], r.body,
                              r.headers["X-Growapp-Signature"])
        assert not webhook.verify("another secret", r.headers["X-Growapp-Timestamp"], r.body,
                                  r.headers["X-Growapp-Signature"])
        doc = json.loads(r.body)
        assert doc["alert"]["id"] == alert.id and doc["alert"]["tent"]["code"] == tent.code
        assert doc["link"] == (f"https://grow.example.org/experiments/{tent.experiment_id}"
                               f"/tents/{tent.id}/environment")
        assert r.headers["X-Growapp-Delivery"] == doc["delivery"]
        events.append(doc["event"])
    assert events == ["alert.raised", "alert.cleared"]
    rows = session.scalars(select(AlertDelivery).order_by(AlertDelivery.id)).all()
    assert [(d.status, d.attempts, d.response_status) for d in rows] == [("sent", 1, 200)] * 2
    session.refresh(channel)
    assert channel.last_ok is True and channel.last_error == ""


def test_an_old_or_altered_delivery_fails_verification():
    body = b'{"event": "alert.raised"}'
    old = str(int(time.time()) - 600)
    assert not webhook.verify("s" * 32, old, body, webhook.signature("s" * 32, old, body))
    now = str(int(time.time()))
    sig = webhook.signature("s" * 32, now, body)
    assert webhook.verify("s" * 32, now, body, sig)
    assert not webhook.verify("s" * 32, now, body + b" ", sig)
    assert not webhook.verify("s" * 32, str(int(now) + 1), body, sig)


def test_failure_is_retried_after_the_backoff(session, tent):
    admin = f.make_user(session, role="admin")
    with webhook_receiver(statuses=[500, 503]) as hook:
        channel, _ = channels.create_webhook(session, name="Ops", url=hook.url, secret="",
                                             actor=admin, production=False)
        _reading(session, tent, 31, NOW)
        env_alerts.check_alerts(session, now=NOW)
        t = NOW + timedelta(seconds=30)
        assert sender.send_due_deliveries(session, settings=SETTINGS, now=t) == 1
        row = session.scalar(select(AlertDelivery))
        session.refresh(row)
        assert (row.status, row.attempts, row.response_status) == ("pending", 1, 500)
        assert row.last_error.startswith("HTTP 500")
        assert row.next_attempt_at == t + deliveries.BACKOFF[0]
        session.refresh(channel)
        assert channel.last_ok is False and "HTTP 500" in channel.last_error
        # not due yet: nothing is sent
        assert sender.send_due_deliveries(session, settings=SETTINGS,
                                          now=t + timedelta(seconds=30)) == 0
        t2 = t + deliveries.BACKOFF[0]
        assert sender.send_due_deliveries(session, settings=SETTINGS, now=t2) == 1
        session.refresh(row)
        assert (row.status, row.attempts, row.next_attempt_at) == \
            ("pending", 2, t2 + deliveries.BACKOFF[1])
        t3 = t2 + deliveries.BACKOFF[1]
        assert sender.send_due_deliveries(session, settings=SETTINGS, now=t3) == 1
        session.refresh(row)
        assert (row.status, row.attempts, row.last_error, row.sent_at) == ("sent", 3, "", t3)
    assert len(hook.requests) == 3
    assert len({r.headers["X-Growapp-Delivery"] for r in hook.requests}) == 1


def test_gives_up_after_the_last_attempt(session, tent):
    admin = f.make_user(session, role="admin")
    channel, _ = channels.create_webhook(session, name="Dead", url="http://127.0.0.1:9/x",
                                         secret="", actor=admin, production=False)
    delivery = channels.send_test(session, channel_id=channel.id, actor=admin)
    t = utc = delivery.next_attempt_at
    for n in range(deliveries.MAX_ATTEMPTS):
        assert sender.send_due_deliveries(session, settings=SETTINGS, now=t) == 1, n
        session.refresh(delivery)
        if n < len(deliveries.BACKOFF):
            t = t + deliveries.BACKOFF[n]
    assert (delivery.status, delivery.attempts) == ("failed", deliveries.MAX_ATTEMPTS)
    assert "No answer" in delivery.last_error
    assert sender.send_due_deliveries(session, settings=SETTINGS,
                                      now=utc + timedelta(days=30)) == 0


def test_email_channel_to_the_fake_smtp(app, session, tent, monkeypatch):
    outbox = mail.install(monkeypatch, app)
    admin = f.make_user(session, role="admin")
    channels.create_email_channel(session, name="Lead", email="lead@example.org", actor=admin)
    _raise_and_clear(session, tent)
    settings = {**SETTINGS, "SMTP_HOST": "smtp.test", "SMTP_FROM": "growapp@example.org"}
    assert sender.send_due_deliveries(session, settings=settings,
                                      now=NOW + timedelta(minutes=2)) == 2
    assert [m["To"] for m in outbox] == ["lead@example.org"] * 2
    assert outbox[0]["Subject"].startswith(f"[growapp] {tent.code}: Temperature 31")
    assert outbox[1]["Subject"] == f"[growapp] {tent.code} back to normal"
    assert "/environment" in outbox[0].get_content()


def test_email_without_smtp_is_a_failed_attempt_with_the_reason(session, tent):
    admin = f.make_user(session, role="admin")
    channel = channels.create_email_channel(session, name="Lead", email="lead@example.org",
                                            actor=admin)
    delivery = channels.send_test(session, channel_id=channel.id, actor=admin)
    sender.send_due_deliveries(session, settings=SETTINGS, now=delivery.next_attempt_at)
    session.refresh(delivery)
    assert delivery.status == "pending" and "GROWAPP_SMTP_HOST" in delivery.last_error


def test_no_double_delivery(session, tent):
    admin = f.make_user(session, role="admin")
    with webhook_receiver() as hook:
        channels.create_webhook(session, name="A", url=hook.url, secret="", actor=admin,
                                production=False)
        channels.create_email_channel(session, name="B", email="b@example.org", actor=admin)
        _reading(session, tent, 31, NOW)
        changes = env_alerts.check_alerts(session, now=NOW)
        assert env_alerts.check_alerts(session, now=NOW) == []  # the second check: nothing
        # the same change queued again (a second server's check of the same alert)
        again = deliveries.queue_alert_deliveries(
            session, changes=[(c.alert, c.raised) for c in changes], now=NOW)
        assert again == 0
        assert session.scalar(select(func.count(AlertDelivery.id))) == 2  # one per channel
        # two workers: the second claims nothing while the first holds the lease
        first = deliveries.claim_due(session, now=NOW)
        session.commit()
        assert len(first) == 2 and deliveries.claim_due(session, now=NOW) == []
        webhook_claim = next(c for c in first if c.kind == "webhook")
        assert sender.deliver(webhook_claim, SETTINGS).ok
        deliveries.record_result(session, claimed=webhook_claim, ok=True, now=NOW)
        # the email's claimer died: once its lease ends another worker takes it over, and
        # the dead claimer's late answer cannot be written over the new attempt
        stale = next(c for c in first if c.kind == "email")
        later = NOW + deliveries.LEASE * 2
        retaken = deliveries.claim_due(session, now=later)
        assert [(c.id, c.kind) for c in retaken] == [(stale.id, "email")]
        deliveries.record_result(session, claimed=retaken[0], ok=True, now=later)
        assert deliveries.record_result(session, claimed=stale, ok=False, error="late",
                                        now=later) == "taken"
        row = session.get(AlertDelivery, stale.id)
        session.refresh(row)
        assert (row.status, row.attempts, row.last_error) == ("sent", 1, "")
        assert sender.send_due_deliveries(session, settings=SETTINGS,
                                          now=NOW + timedelta(days=1)) == 0
    assert len(hook.requests) == 1
    assert session.scalar(select(func.count(Event.id)).where(
        Event.kind == "environment.alert")) == 1


def test_disabled_channels_get_no_new_deliveries(session, tent):
    admin = f.make_user(session, role="admin")
    channel = channels.create_email_channel(session, name="B", email="b@example.org",
                                            actor=admin)
    channels.set_enabled(session, channel_id=channel.id, enabled=False, actor=admin)
    _raise_and_clear(session, tent)
    assert session.scalar(select(func.count(AlertDelivery.id))) == 0


def test_a_name_that_resolves_to_a_metadata_address_is_refused_when_sending(monkeypatch):
    real = socket.getaddrinfo

    def fake(host, *args, **kwargs):
        if host == "innocent.example.org":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("169.254.169.254", 443))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: pytest.fail("connected"))
    out = webhook.post("https://innocent.example.org/hook", secret="s" * 32, body=b"{}",
                       delivery="d", event="test", production=True)
    assert not out.ok and "169.254.169.254" in out.error and "link-local" in out.error
    out = webhook.post("http://localhost:9/hook", secret="s" * 32, body=b"{}", delivery="d",
                       event="test", production=True)
    assert not out.ok and "loopback" in out.error
