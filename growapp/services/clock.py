"""The installation's time zone: local "today", day boundaries and ISO times with offset.

Times are stored in UTC. What a person calls "today" (the feeding queue's skips, the
schedule plan, the weekly round) depends on where the tent is, so those boundaries are
taken in the installation's zone (``GROWAPP_TIMEZONE``). The app puts the zone into every
session it opens (``session.info["tz"]``); services read it with ``zone_of(session)``
and never import Flask. A session without one (scripts, most tests) uses UTC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.orm import Session

from ..models import utcnow


class UnknownZone(ValueError):
    """The name is not an IANA time zone this machine knows."""


def load_zone(name: str | None) -> tzinfo:
    """``None``/empty → UTC; an IANA name → its ZoneInfo; anything else → UnknownZone."""
    name = (name or "").strip()
    if not name:
        return UTC
    if name.upper() == "UTC":
        return UTC
    try:
        if "\x00" in name or name.startswith(("/", ".")) or ".." in name:
            raise ValueError(name)
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise UnknownZone(name) from exc


def zone_of(session: Session) -> tzinfo:
    return session.info.get("tz") or UTC


def local_today(tz: tzinfo, now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(tz).date()


def day_bounds(day: date, tz: tzinfo) -> tuple[datetime, datetime]:
    """The UTC instants where the local calendar ``day`` begins and the next begins."""
    lo = datetime.combine(day, time.min, tz)
    hi = datetime.combine(day + timedelta(days=1), time.min, tz)
    return lo.astimezone(UTC), hi.astimezone(UTC)


def day_start(tz: tzinfo, now: datetime | None = None) -> datetime:
    """The UTC instant at which today (local) began."""
    return day_bounds(local_today(tz, now), tz)[0]


def iso_local(value: datetime | None, tz: tzinfo) -> str:
    """ISO 8601 in the zone, with its offset (``2026-03-01T09:15:00+13:00``); "" for None."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(tz).isoformat()


def aware_utc(value: datetime | str | None) -> datetime | None:
    """A database time as an aware UTC datetime: a UNION or a scalar subquery loses the
    column's type on SQLite, which then hands back ISO text or a naive datetime."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


def zone_name(tz: tzinfo) -> str:
    return getattr(tz, "key", None) or str(tz)
