"""Alert channels: which webhook URLs are allowed (https; http only to localhost in
development; never link-local or metadata addresses, however they are spelled), the
channel writes and their audit rows (the secret masked)."""

from __future__ import annotations

import ipaddress

import pytest
from sqlalchemy import select

from growapp.models import AlertChannel, AlertDelivery, AuditLog
from growapp.services import alert_channels as svc
from growapp.services import channel_secrets
from growapp.services.errors import Conflict, Invalid
from tests.helpers import factories as f

REFUSED = [
    "http://169.254.169.254/latest/meta-data/",
    "https://169.254.169.254/",
    "https://169.254.1.1/hook",
    "https://[fe80::1]/hook",
    "https://[::ffff:169.254.169.254]/",
    "https://2852039166/",  # 169.254.169.254 as one number
    "https://0xa9fea9fe/",  # and in hex
    "https://169.254.43518/",  # and in the a.b.c form
    "https://metadata.google.internal/computeMetadata/v1/",
    "https://[fd00:ec2::254]/",
    "https://100.100.100.200/",
    "https://0.0.0.0/",
    "https://224.0.0.1/",
    "http://example.org/hook",  # plain http off localhost
    "ftp://example.org/hook",
    "https://user:pw@example.org/hook",
    "https://exa mple.org/",
    "https:///nohost",
    "https://example.org:99999/",
    "",
]


@pytest.mark.parametrize("url", REFUSED)
def test_refused_urls(url):
    with pytest.raises(Invalid) as exc:
        svc.check_webhook_url(url, production=False)
    assert exc.value.errors["url"][0]


@pytest.mark.parametrize("url", ["https://hooks.example.org/growapp?x=1",
                                 "https://192.168.1.20:8123/api/webhook/tent",
                                 "http://localhost:8080/hook", "http://127.0.0.1:9/x",
                                 "https://10.0.0.5/hook"])
def test_allowed_urls_in_development(url):
    assert svc.check_webhook_url(f"  {url} ", production=False) == url


@pytest.mark.parametrize("url", ["http://localhost:8080/hook", "https://localhost/hook",
                                 "https://127.0.0.1/hook", "http://127.0.0.1/hook"])
def test_loopback_refused_in_production(url):
    with pytest.raises(Invalid):
        svc.check_webhook_url(url, production=True)
    assert svc.check_webhook_url("https://hooks.example.org/", production=True)


def test_address_rule_is_the_senders_too():
    assert svc.address_problem(ipaddress.ip_address("169.254.169.254"), production=False)
    assert svc.address_problem(ipaddress.ip_address("::ffff:169.254.169.254"),
                               production=False)
    assert svc.address_problem(ipaddress.ip_address("127.0.0.1"), production=True)
    assert svc.address_problem(ipaddress.ip_address("127.0.0.1"), production=False) is None
    assert svc.address_problem(ipaddress.ip_address("192.168.1.20"), production=True) is None


def test_create_webhook_generates_a_secret_and_audits_it_masked(session):
    admin = f.make_user(session, role="admin")
    channel, secret = svc.create_webhook(session, name="Ops", url="https://h.example.org/x",
                                         secret="", actor=admin, production=True)
    assert len(secret) >= 32 and channel.secret.startswith("v1:")  # sealed at rest
    assert secret not in channel.secret
    assert channel_secrets.unseal_for(session, channel.secret) == secret
    row = session.scalar(select(AuditLog).where(AuditLog.table_name == "alert_channels",
                                                AuditLog.row_id == str(channel.id)))
    assert row.action == "insert" and row.changes["secret"] == [None, "***"]
    assert row.changes["url"] == [None, "https://h.example.org/x"]
    assert secret not in str(row.changes)


def test_create_webhook_field_errors(session):
    admin = f.make_user(session, role="admin")
    with pytest.raises(Invalid) as exc:
        svc.create_webhook(session, name=" ", url="http://169.254.169.254/", secret="short",
                           actor=admin, production=False)
    assert set(exc.value.errors) == {"name", "url", "secret"}
    assert session.scalar(select(AlertChannel.id)) is None


def test_email_channel_rules(session):
    admin = f.make_user(session, role="admin")
    channel = svc.create_email_channel(session, name="Night shift", email="Night@Example.org",
                                       actor=admin)
    assert channel.email == "night@example.org"
    with pytest.raises(Conflict):
        svc.create_email_channel(session, name="Again", email="night@example.org", actor=admin)
    with pytest.raises(Invalid) as exc:
        svc.create_email_channel(session, name="x", email="not-an-address", actor=admin)
    assert "email" in exc.value.errors


def test_turning_off_gives_up_waiting_deliveries_and_delete_removes_the_log(session):
    admin = f.make_user(session, role="admin")
    channel = svc.create_email_channel(session, name="Lead", email="lead@example.org",
                                       actor=admin)
    delivery = svc.send_test(session, channel_id=channel.id, actor=admin)
    svc.set_enabled(session, channel_id=channel.id, enabled=False, actor=admin)
    session.refresh(delivery)
    assert (delivery.status, delivery.last_error) == ("failed", "The channel was turned off.")
    with pytest.raises(Conflict):
        svc.send_test(session, channel_id=channel.id, actor=admin)
    audit = session.scalars(select(AuditLog.action).where(
        AuditLog.table_name == "alert_channels", AuditLog.row_id == str(channel.id))).all()
    assert audit == ["insert", "update"]
    svc.delete_channel(session, channel_id=channel.id, actor=admin)
    assert session.scalar(select(AlertDelivery.id)) is None
    assert session.scalar(select(AuditLog).where(
        AuditLog.table_name == "alert_channels", AuditLog.action == "delete"))


def test_a_metadata_url_is_refused_for_what_it_is_not_for_its_scheme():
    with pytest.raises(Invalid) as exc:
        svc.check_webhook_url("http://169.254.169.254/latest/meta-data/", production=False)
    assert exc.value.errors["url"][0].startswith("Link-local and cloud metadata")
