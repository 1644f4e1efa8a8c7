"""Signed webhook POSTs.

The receiver checks ``X-Growapp-Signature: sha256=<hex>``: HMAC-SHA256 with the channel's
secret over ``<X-Growapp-Timestamp>.<raw body>`` (the timestamp is Unix seconds; refuse
one more than 5 minutes old, so a recorded delivery cannot be replayed). See README.

The host is resolved here and every address checked with the same rule as when the URL
was saved (``services.alert_channels.address_problem``); the connection goes to the
checked address (the name is still used for TLS and ``Host``), so a DNS answer that
changes between check and connect cannot point it elsewhere. Redirects are not followed.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import json
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from ..services.alert_channels import address_problem

TIMEOUT = 10  # seconds, connect and read
USER_AGENT = "growapp-webhooks/1"


def signature(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(secret: str, timestamp: str, body: bytes, header: str, *,
           max_age: int = 300, now: float | None = None) -> bool:
    """The receiver's check (also the README's recipe)."""
    try:
        if abs((now or time.time()) - int(timestamp)) > max_age:
            return False
    except ValueError:
        return False
    return hmac.compare_digest(signature(secret, timestamp, body), header)


@dataclass
class Outcome:
    ok: bool
    status: int | None = None
    error: str = ""


class Refused(Exception):
    """The URL resolves to an address deliveries may not go to."""


def _vetted_address(host: str, port: int, *, production: bool) -> str:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise Refused(f"{host} could not be resolved ({exc.strerror}).") from exc
    addresses = []
    for info in infos:
        ip = ipaddress.ip_address(info[4][0].split("%")[0])
        problem = address_problem(ip, production=production)
        if problem:
            raise Refused(f"{host} resolves to {ip}: {problem}.")
        addresses.append(str(ip))
    if not addresses:
        raise Refused(f"{host} has no address.")
    return addresses[0]


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, host, port, address, **kw):
        super().__init__(host, port, timeout=TIMEOUT, **kw)
        self._address = address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), TIMEOUT)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, host, port, address, context):
        super().__init__(host, port, timeout=TIMEOUT, context=context)
        self._address = address
        self._ctx = context

    def connect(self):
        sock = socket.create_connection((self._address, self.port), TIMEOUT)
        self.sock = self._ctx.wrap_socket(sock, server_hostname=self.host)


def post(url: str, *, secret: str, body: bytes, delivery: str, event: str,
         production: bool, ssl_context: ssl.SSLContext | None = None) -> Outcome:
    """POST ``body`` signed. A 2xx answer is delivered; anything else (another status,
    no answer, a refused address) is an Outcome with the reason."""
    parts = urlsplit(url)
    https = parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    host = parts.hostname or ""
    try:
        address = _vetted_address(host, port, production=production)
    except Refused as exc:
        return Outcome(False, None, str(exc))
    timestamp = str(int(time.time()))
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT,
               "X-Growapp-Timestamp": timestamp, "X-Growapp-Event": event,
               "X-Growapp-Delivery": delivery,
               "X-Growapp-Signature": signature(secret, timestamp, body)}
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    conn = (_PinnedHTTPS(host, port, address, ssl_context or ssl.create_default_context())
            if https else _PinnedHTTP(host, port, address))
    try:
        conn.request("POST", path, body=body, headers=headers)
        resp = conn.getresponse()
        text = resp.read(500).decode("utf-8", "replace").strip()
    except (OSError, http.client.HTTPException) as exc:
        return Outcome(False, None, f"No answer from {host}: {exc.__class__.__name__}: {exc}")
    finally:
        conn.close()
    if 200 <= resp.status < 300:
        return Outcome(True, resp.status)
    note = " (redirects are not followed)" if 300 <= resp.status < 400 else ""
    return Outcome(False, resp.status, f"HTTP {resp.status}{note}" + (f": {text[:200]}"
                                                                      if text else ""))


def body_for(payload: dict, *, delivery: str, link: str | None) -> bytes:
    doc = {**payload, "delivery": delivery}
    if link:
        doc["link"] = link
    return json.dumps(doc, ensure_ascii=False, sort_keys=True).encode()
