"""Outbound alert channels an admin sets up: webhooks (a URL and a signing secret) and email
recipients. Which webhook URLs are allowed is decided here once, for saving and (again,
on the resolved addresses) for sending: https only — plain http only to localhost in
development — and never an address a server should not call for a stranger (link-local,
cloud metadata, unspecified, multicast; loopback in production).

Channel rows are audited (the secret masked); their delivery bookkeeping is not. The
signing secret is stored sealed (channel_secrets.py) and shown once, when it is made."""

from __future__ import annotations

import ipaddress
import secrets
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..models import AlertChannel, AlertDelivery, User, utcnow
from . import channel_secrets
from .errors import Conflict, Invalid, NotFound
from .users import normalise_email

NAME_MAX = 80
URL_MAX = 2000
SECRET_MIN, SECRET_MAX = 16, 200
MAX_CHANNELS = 20
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
# Cloud metadata services that do not sit in a link-local range (AWS IPv6, Alibaba).
METADATA_ADDRESSES = {ipaddress.ip_address("fd00:ec2::254"),
                      ipaddress.ip_address("100.100.100.200")}
METADATA_NAMES = ("metadata", "metadata.google.internal", "metadata.azure.internal",
                  "instance-data", "instance-data.ec2.internal")


def _as_address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address a literal host names, including the forms C resolvers accept
    (``2852039166``, ``0xa9fea9fe``, ``169.254.43518``) and IPv4-mapped IPv6."""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        try:
            ip = ipaddress.IPv4Address(socket.inet_aton(host))
        except (OSError, ValueError):
            return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        return ip.ipv4_mapped
    return ip


def address_problem(ip, *, production: bool) -> str | None:
    """Why a webhook may not be sent to ``ip`` (None: it may)."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if ip in METADATA_ADDRESSES or ip.is_link_local:
        return "link-local and cloud metadata addresses (169.254.0.0/16, fe80::/10) are refused"
    if ip.is_unspecified or ip.is_multicast or ip.is_reserved:
        return "this address cannot receive webhooks"
    if ip.is_loopback and production:
        return "this server's own addresses (loopback) are refused in production"
    return None


def check_webhook_url(url: str, *, production: bool) -> str:
    """The URL, stripped, or Invalid with the reason. Does not resolve names (the sender
    checks every resolved address again before it connects)."""
    url = (url or "").strip()
    problem = _url_problem(url, production=production)
    if problem:
        raise Invalid(errors={"url": [problem]})
    return url


def _url_problem(url: str, *, production: bool) -> str | None:
    if not url:
        return "Enter the webhook's URL."
    if len(url) > URL_MAX:
        return f"Use at most {URL_MAX} characters."
    if any(ord(c) < 33 for c in url):
        return "A URL has no spaces or control characters."
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower().rstrip(".")
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        return "This is not a valid URL."
    if parts.scheme not in ("https", "http") or not host:
        return "Use an https:// URL."
    if parts.username is not None or parts.password is not None:
        return "Leave user names and passwords out of the URL; the secret signs each delivery."
    if host in METADATA_NAMES or host.endswith(".internal") and "metadata" in host:
        return "Cloud metadata addresses are refused."
    ip = _as_address(host)
    if ip is not None:
        problem = address_problem(ip, production=production)
        if problem:
            return problem[0].upper() + problem[1:] + "."
    elif host == "localhost" and production:
        return "This server's own addresses (loopback) are refused in production."
    if parts.scheme == "http" and (production or host not in LOCAL_HOSTS):
        return ("Use https://." if production else
                "Use https:// (plain http is allowed only for localhost in development).")
    return None


def _clean_name(name: str | None, errors: dict) -> str:
    name = (name or "").strip()
    if not name:
        errors["name"] = ["Give the channel a name."]
    elif len(name) > NAME_MAX:
        errors["name"] = [f"Use at most {NAME_MAX} characters."]
    return name


def _check_room(session: Session) -> None:
    count = len(session.scalars(select(AlertChannel.id)).all())
    if count >= MAX_CHANNELS:
        raise Conflict(f"There are already {MAX_CHANNELS} alert channels; delete one first.",
                       {"channels": count})


def create_webhook(session: Session, *, name: str, url: str, secret: str | None,
                   actor: User, production: bool) -> tuple[AlertChannel, str]:
    """A webhook channel and its signing secret (generated when none is given; shown
    once). Raises Invalid, Conflict (too many channels)."""
    errors: dict[str, list[str]] = {}
    name = _clean_name(name, errors)
    try:
        url = check_webhook_url(url, production=production)
    except Invalid as exc:
        errors.update(exc.errors)
    secret = (secret or "").strip() or secrets.token_urlsafe(32)
    if not SECRET_MIN <= len(secret) <= SECRET_MAX:
        errors["secret"] = [f"Use {SECRET_MIN} to {SECRET_MAX} characters (or leave it empty "
                            "to have one made)."]
    if errors:
        raise Invalid(errors=errors)
    _check_room(session)
    channel = AlertChannel(kind="webhook", name=name, url=url,
                           secret=channel_secrets.seal_for(session, secret), enabled=True,
                           created_by_id=actor.id)
    session.add(channel)
    session.flush()
    return channel, secret


def create_email_channel(session: Session, *, name: str, email: str,
                         actor: User) -> AlertChannel:
    """Raises Invalid, Conflict (too many channels, address already a channel)."""
    errors: dict[str, list[str]] = {}
    name = _clean_name(name, errors)
    try:
        email = normalise_email(email or "")
    except Invalid as exc:
        errors["email"] = exc.errors.get("email") or [exc.detail]
    if errors:
        raise Invalid(errors=errors)
    _check_room(session)
    if session.scalar(select(AlertChannel.id).where(AlertChannel.kind == "email",
                                                    AlertChannel.email == email)):
        raise Conflict(f"{email} already gets the alerts.", {"email": email})
    channel = AlertChannel(kind="email", name=name, email=email, enabled=True,
                           created_by_id=actor.id)
    session.add(channel)
    session.flush()
    return channel


def get_channel(session: Session, channel_id: int) -> AlertChannel:
    channel = session.get(AlertChannel, channel_id)
    if channel is None:
        raise NotFound("There is no such alert channel.")
    return channel


def set_enabled(session: Session, *, channel_id: int, enabled: bool,
                actor: User) -> AlertChannel:
    """Turn a channel on or off. Off: its waiting deliveries are given up (they would
    otherwise all arrive, late, when it is turned on again). Raises NotFound."""
    channel = get_channel(session, channel_id)
    channel.enabled = enabled
    session.flush()
    if not enabled:
        session.execute(update(AlertDelivery).where(
            AlertDelivery.channel_id == channel.id,
            AlertDelivery.status == "pending").values(
            status="failed", last_error="The channel was turned off.", updated_at=utcnow()))
    return channel


def delete_channel(session: Session, *, channel_id: int, actor: User) -> AlertChannel:
    """Delete a channel and its delivery log. Raises NotFound."""
    channel = get_channel(session, channel_id)
    session.execute(AlertDelivery.__table__.delete().where(
        AlertDelivery.channel_id == channel.id))
    session.delete(channel)
    session.flush()
    return channel


def send_test(session: Session, *, channel_id: int, actor: User) -> AlertDelivery:
    """Queue a test message to the channel (the worker sends it). Raises NotFound,
    Conflict (the channel is off)."""
    channel = get_channel(session, channel_id)
    if not channel.enabled:
        raise Conflict(f"“{channel.name}” is turned off; turn it on to test it.",
                       {"channel": channel.id})
    now = utcnow()
    delivery = AlertDelivery(
        key=f"test:{uuid.uuid4().hex}", channel_id=channel.id, event="test", status="pending",
        next_attempt_at=now, payload={"event": "test", "by": actor.display_name,
                                      "at": now.isoformat()})
    session.add(delivery)
    session.flush()
    return delivery


@dataclass
class DeliveryLine:
    id: int
    channel_id: int
    channel_name: str
    event: str
    status: str
    attempts: int
    response_status: int | None
    last_error: str
    created_at: datetime
    sent_at: datetime | None
    next_attempt_at: datetime
    summary: str


def channels_and_log(session: Session, *, limit: int = 30
                     ) -> tuple[list[AlertChannel], list[DeliveryLine]]:
    """Every channel and the newest deliveries (two queries)."""
    channels = list(session.scalars(select(AlertChannel).order_by(AlertChannel.kind,
                                                                  AlertChannel.name)))
    rows = session.execute(
        select(AlertDelivery.id, AlertDelivery.channel_id, AlertChannel.name,
               AlertDelivery.event, AlertDelivery.status, AlertDelivery.attempts,
               AlertDelivery.response_status, AlertDelivery.last_error,
               AlertDelivery.created_at, AlertDelivery.sent_at, AlertDelivery.next_attempt_at,
               AlertDelivery.payload)
        .join(AlertChannel, AlertChannel.id == AlertDelivery.channel_id)
        .order_by(AlertDelivery.id.desc()).limit(limit)).all()
    log = [DeliveryLine(*r[:11], summary=_summary(r[3], r[11] or {})) for r in rows]
    return channels, log


def secret_hints(session: Session, channels: list[AlertChannel]) -> dict[int, str]:
    """The last four characters of each webhook's secret, so an admin can tell which one a
    receiver holds ("?" when no configured key opens it)."""
    hints = {}
    for c in channels:
        if c.kind == "webhook":
            try:
                hints[c.id] = channel_secrets.unseal_for(session, c.secret)[-4:]
            except channel_secrets.SecretUnreadable:
                hints[c.id] = "?"
    return hints


def _summary(event: str, payload: dict) -> str:
    if event == "test":
        return "Test message"
    alert = payload.get("alert") or {}
    tent = (alert.get("tent") or {}).get("code", "")
    verb = "Alert" if event == "raised" else "Cleared"
    return f"{verb}: {tent} {alert.get('detail', '')}".strip()
