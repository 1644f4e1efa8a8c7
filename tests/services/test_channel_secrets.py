"""Webhook signing secrets sealed at rest (AES-GCM under a key derived from the audit key):
nothing readable in the database, earlier audit keys still open what they sealed, a row
stored before sealing still signs and the periodic task seals it, and a secret no key opens
fails its delivery with a sentence instead of stopping the worker."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from growapp.jobs import periodic
from growapp.models import AlertChannel, AlertDelivery, utcnow
from growapp.notifications import sender
from growapp.services import alert_channels as channels
from growapp.services import channel_secrets as cs
from tests.helpers import factories as f
from tests.helpers.webhooks import webhook_receiver

KEY = "k" * 40
OLD = "o" * 40
SETTINGS = {"ENV": "development", "PUBLIC_BASE_URL": "https://grow.example.org"}


def test_seal_round_trip_and_nothing_readable():
    secret = "a-webhook-secret-of-some-length"
    sealed = cs.seal(secret, KEY)
    assert sealed.startswith("v1:") and secret not in sealed
    assert cs.seal(secret, KEY) != sealed  # a fresh nonce each time
    assert cs.unseal(sealed, [KEY]) == secret
    assert cs.unseal(sealed, [OLD, KEY]) == secret  # the key that opens it is found
    with pytest.raises(cs.SecretUnreadable):
        cs.unseal(sealed, [OLD])
    tampered = sealed[:-2] + ("A" if sealed[-2] != "A" else "B") + sealed[-1]
    with pytest.raises(cs.SecretUnreadable):
        cs.unseal(tampered, [KEY])
    assert cs.unseal("written-before-sealing-0123", [KEY]) == "written-before-sealing-0123"
    longest = cs.seal("é" * channels.SECRET_MAX, KEY)  # what the column must hold
    assert cs.unseal(longest, [KEY]) == "é" * channels.SECRET_MAX


def test_an_earlier_audit_key_still_opens_and_the_current_one_seals(session):
    sealed_before = cs.seal("secret-from-before-the-rotation", OLD)
    session.info["audit_key_previous"] = (OLD,)
    try:
        assert cs.unseal_for(session, sealed_before) == "secret-from-before-the-rotation"
        assert cs.unseal(cs.seal_for(session, "new-one-0123456789"),
                         [session.info["audit_key"]]) == "new-one-0123456789"
    finally:
        session.info.pop("audit_key_previous")


def _deliver_test(session, channel) -> list:
    with webhook_receiver() as hook:
        session.execute(update(AlertChannel).where(AlertChannel.id == channel.id)
                        .values(url=hook.url))
        channels.send_test(session, channel_id=channel.id, actor=f.make_user(session))
        sender.send_due_deliveries(session, settings=SETTINGS,
                                   now=utcnow() + timedelta(seconds=1))
    return hook.requests


def _signed_with(secret: str, request) -> bool:
    signed = request.headers["X-Growapp-Timestamp"].encode() + b"." + request.body
    want = "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return request.headers["X-Growapp-Signature"] == want


def test_a_secret_stored_before_sealing_still_signs_then_gets_sealed(session):
    admin = f.make_user(session, role="admin")
    channel, _ = channels.create_webhook(session, name="Old", url="https://h.example.org/x",
                                         secret="", actor=admin, production=False)
    plain = "stored-in-plaintext-before-0010"
    session.execute(update(AlertChannel).where(AlertChannel.id == channel.id)
                    .values(secret=plain))  # as migration 0010 leaves such a row
    requests = _deliver_test(session, channel)
    assert len(requests) == 1 and _signed_with(plain, requests[0])
    assert periodic.seal_webhook_secrets(session, settings=SETTINGS, storage=None) == 1
    stored = session.scalar(select(AlertChannel.secret).where(AlertChannel.id == channel.id))
    assert stored.startswith("v1:") and cs.unseal_for(session, stored) == plain
    assert periodic.seal_webhook_secrets(session, settings=SETTINGS, storage=None) == 0
    requests = _deliver_test(session, channel)  # the same secret, now sealed
    assert len(requests) == 1 and _signed_with(plain, requests[0])


def test_a_secret_no_key_opens_fails_its_delivery_in_words(session):
    admin = f.make_user(session, role="admin")
    channel, _ = channels.create_webhook(session, name="Lost", url="https://h.example.org/x",
                                         secret="", actor=admin, production=False)
    session.execute(update(AlertChannel).where(AlertChannel.id == channel.id)
                    .values(secret=cs.seal("sealed-with-a-forgotten-key", OLD)))
    assert _deliver_test(session, channel) == []  # nothing sent unsigned or mis-signed
    delivery = session.scalar(select(AlertDelivery).where(AlertDelivery.channel_id == channel.id))
    assert delivery.status == "pending" and delivery.attempts == 1
    assert "GROWAPP_AUDIT_KEY_PREVIOUS" in delivery.last_error
    hints = channels.secret_hints(session, [session.get(AlertChannel, channel.id)])
    assert hints == {channel.id: "?"}


def test_the_longest_secret_fits_sealed(session):
    """A sealed 200-character secret is longer than the 200 the column held before 0010
    (PostgreSQL refused it)."""
    admin = f.make_user(session, role="admin")
    secret = "é" * channels.SECRET_MAX
    channel, _ = channels.create_webhook(session, name="Long", url="https://h.example.org/x",
                                         secret=secret, actor=admin, production=False)
    session.commit()
    stored = session.scalar(select(AlertChannel.secret).where(AlertChannel.id == channel.id))
    assert len(stored) > 200 and cs.unseal_for(session, stored) == secret
