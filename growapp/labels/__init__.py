"""Label sheets: templates as data (``templates``), text fitting (``fitting``), QR codes
(``qr``), one sheet as HTML/CSS (``sheet``) and the PDF (``pdf``), and the rule for the
address the QR codes point at (below).

No flask here: the web and API layers pass their config and request host in, so the
decision is the same for both and testable on its own.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from urllib.parse import urlsplit

from ..services.errors import Conflict

LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}


def is_local_host(hostname: str | None) -> bool:
    """localhost, *.localhost, 127.0.0.0/8, ::1 or 0.0.0.0: nothing a phone can reach."""
    name = (hostname or "").strip().strip("[]").lower().rstrip(".")
    if not name or name in LOCAL_NAMES or name.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def qr_base_url(config: Mapping, request_host_url: str) -> str:
    """The address QR codes point at: ``<it>/p/<uuid>``, ``<it>/t/<uuid>``.

    PUBLIC_BASE_URL when set. In development, the request's own host otherwise. In
    production, printing is refused (Conflict, 409) when it is unset or points at this
    machine (localhost, 127.x, ::1), unless LABELS_ALLOW_LOCALHOST is true: labels stuck on
    hundreds of pots cannot be reprinted cheaply, so a wrong address must stop the print.
    """
    configured = (config.get("PUBLIC_BASE_URL") or "").strip().rstrip("/")
    production = config.get("ENV") == "production"
    if configured:
        parts = urlsplit(configured)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise Conflict(
                f"Labels were not printed: PUBLIC_BASE_URL ({configured}) is not a full "
                "address such as https://grow.example.org.",
                {"public_base_url": configured, "env": config.get("ENV")})
        if (production and is_local_host(parts.hostname)
                and not config.get("LABELS_ALLOW_LOCALHOST")):
            raise Conflict(
                f"Labels were not printed: PUBLIC_BASE_URL points at this machine "
                f"({configured}), so phones scanning the QR codes could not open them. Set "
                "PUBLIC_BASE_URL to the address people use (or LABELS_ALLOW_LOCALHOST=true "
                "to print anyway).",
                {"public_base_url": configured, "env": "production"})
        return configured
    if production:
        raise Conflict(
            "Labels were not printed: PUBLIC_BASE_URL is not set, so the QR codes would not "
            "know the app's address. Set it to the address people use, e.g. "
            "https://grow.example.org.",
            {"public_base_url": None, "env": "production"})
    return request_host_url.strip().rstrip("/")


def qr_points_at_localhost(config: Mapping, request_host_url: str) -> bool:
    """Whether the QR codes printed now would open this machine (localhost, 127.x, ::1),
    which no phone can reach: PUBLIC_BASE_URL when set, else the request's host."""
    configured = (config.get("PUBLIC_BASE_URL") or "").strip()
    return is_local_host(urlsplit(configured or request_host_url).hostname)


def render_workers(config: Mapping) -> int:
    """Processes a large PDF is rendered with (LABELS_RENDER_WORKERS; default: up to 2
    cores). 1 keeps everything in the calling process."""
    configured = config.get("LABELS_RENDER_WORKERS")
    try:
        workers = int(configured) if configured not in (None, "") else min(2, os.cpu_count() or 1)
    except (TypeError, ValueError):
        workers = 1
    return max(1, min(workers, 8))
