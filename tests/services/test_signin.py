"""The sign-in limits: per (email, IP) exact, per account a growing delay that never
locks, per IP never in the way of an account with no failures from it."""

from datetime import timedelta

import pytest

from growapp.models import LoginFailure, utcnow
from growapp.services import signin
from growapp.services.errors import Invalid, RateLimited
from growapp.services.sessions import describe_device
from tests.helpers import factories as f


def _fail(session, email, ip, now):
    with pytest.raises(Invalid):
        signin.authenticate(session, email=email, password="wrong guess", ip=ip, now=now)


def test_failures_from_many_ips_slow_the_account_but_never_lock_it(session):
    user = f.make_user(session, "operator")
    now = utcnow()
    for i in range(6):  # five failures cost nothing; the sixth starts the delay
        _fail(session, user.email, f"10.0.0.{i}", now)
    waits = []
    for i in range(6, 10):
        with pytest.raises(RateLimited) as refused:
            signin.authenticate(session, email=user.email, password=f.PASSWORD,
                                ip=f"10.0.1.{i}", now=now)
        waits.append(refused.value.extra["retry_after"])
        now += timedelta(seconds=waits[-1])
        _fail(session, user.email, f"10.0.0.{i}", now)
    assert waits == [1, 2, 4, 8]  # a growing delay…
    now += timedelta(seconds=16)
    assert signin.authenticate(session, email=user.email, password=f.PASSWORD,
                               ip="192.0.2.1", now=now) == user  # …never a lock-out


def test_the_delay_has_a_ceiling_and_a_known_device_skips_it(session):
    user = f.make_user(session, "operator")
    now = utcnow()
    for i in range(30):
        session.add(LoginFailure(email=user.email, ip=f"10.1.{i}.1", at=now))
    session.flush()
    with pytest.raises(RateLimited) as refused:
        signin.authenticate(session, email=user.email, password=f.PASSWORD, ip="192.0.2.1",
                            now=now)
    assert refused.value.extra["retry_after"] == 60
    assert signin.authenticate(session, email=user.email, password=f.PASSWORD, ip="192.0.2.1",
                               now=now, known_device_user_id=user.id) == user
    assert signin.account_delay(6, free=5, max_delay_seconds=60) == 1


def test_a_spray_from_one_ip_never_blocks_a_correct_password(session):
    admin = f.make_user(session, "admin")
    now = utcnow()
    for i in range(60):
        _fail(session, f"random{i}@example.com", "198.51.100.7", now)
    assert signin.authenticate(session, email=admin.email, password=f.PASSWORD,
                               ip="198.51.100.7", now=now) == admin
    # an account with a failure from that IP is refused there now
    with pytest.raises(RateLimited, match="from your network"):
        signin.authenticate(session, email="random1@example.com", password="x",
                            ip="198.51.100.7", now=now)


def test_the_pair_limit_lifts_after_the_window(session):
    user = f.make_user(session, "operator")
    now = utcnow()
    for _ in range(5):
        _fail(session, user.email, "1.2.3.4", now)
    with pytest.raises(RateLimited) as refused:
        signin.authenticate(session, email=user.email, password=f.PASSWORD, ip="1.2.3.4",
                            now=now)
    assert refused.value.extra["retry_after"] == 15 * 60
    later = now + timedelta(minutes=15, seconds=1)
    assert signin.authenticate(session, email=user.email, password=f.PASSWORD, ip="1.2.3.4",
                               now=later) == user


@pytest.mark.parametrize("ua, expected", [
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
     "like Gecko) Version/17.5 Mobile/15E148 Safari/604.1", "Safari on iOS"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0", "Edge on Windows"),
    ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/126.0.0.0 Safari/537.36", "Chrome on Linux"),
    ("", "Unknown browser"),
])
def test_devices_are_named_from_the_user_agent(ua, expected):
    assert describe_device(ua) == expected
