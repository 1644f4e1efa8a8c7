"""The worker's periodic task deletes sign-in bookkeeping no limit reads any more:
failures and throttle rows older than the window, and password-reset requests that are
expired and older than the hourly limit's window. Usable links and live counts stay."""

from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from growapp.jobs import periodic
from growapp.models import AuditLog, LoginFailure, LoginThrottle, PasswordReset, utcnow
from growapp.services import password_reset, signin
from growapp.services.errors import Invalid, RateLimited
from tests.helpers import factories as f


def _count(session, model, *where):
    return session.scalar(select(func.count()).select_from(model).where(*where))


def _fail(session, email, ip, now):
    with pytest.raises(Invalid):
        signin.authenticate(session, email=email, password="wrong guess", ip=ip, now=now)


def test_old_failures_and_throttles_go_recent_ones_still_count(session):
    user = f.make_user(session, "operator")
    now = utcnow()
    old = now - timedelta(minutes=20)
    for i in range(3):
        _fail(session, f"gone-{i}@example.com", "10.9.0.1", old)
    for _ in range(5):
        _fail(session, user.email, "10.9.0.2", now - timedelta(minutes=1))
    session.flush()
    audit_rows = _count(session, AuditLog)
    assert signin.prune_sign_in_records(session, window_minutes=15, now=now) == 3 + 3
    assert _count(session, LoginFailure, LoginFailure.ip == "10.9.0.1") == 0
    assert _count(session, LoginThrottle, LoginThrottle.email.like("gone-%")) == 0
    assert _count(session, LoginFailure, LoginFailure.email == user.email) == 5
    assert _count(session, AuditLog) == audit_rows  # bookkeeping: no audit noise
    with pytest.raises(RateLimited):  # the live count is untouched
        signin.authenticate(session, email=user.email, password=f.PASSWORD, ip="10.9.0.2",
                            now=now)


def test_expired_reset_requests_go_usable_links_and_the_hours_count_stay(session):
    user = f.make_user(session, "operator")
    now = utcnow()
    two_hours_ago = now - timedelta(hours=2)
    password_reset.request_password_reset(session, email=user.email, ip="10.8.0.1",
                                          now=two_hours_ago)  # expired an hour ago
    password_reset.request_password_reset(session, email="ghost@example.com",
                                          ip="10.8.0.1", now=two_hours_ago)
    _u, fresh = password_reset.request_password_reset(session, email=user.email,
                                                      ip="10.8.0.2", now=now)
    password_reset.request_password_reset(session, email="ghost@example.com", ip="10.8.0.2",
                                          now=now)  # unknown: "expires" at once, but counts
    assert password_reset.prune_password_resets(session, now=now) == 2
    left = session.scalars(select(PasswordReset).where(
        PasswordReset.ip.in_(("10.8.0.1", "10.8.0.2")))).all()
    assert sorted((r.ip, r.user_id is not None) for r in left) == [
        ("10.8.0.2", False), ("10.8.0.2", True)]
    assert password_reset.find_reset(session, fresh, now=now).user_id == user.id


def test_the_worker_runs_it(session):
    now = utcnow()
    _fail(session, "long-ago@example.com", "10.7.0.1", now - timedelta(hours=1))
    password_reset.request_password_reset(session, email="nobody@example.com", ip="10.7.0.1",
                                          now=now - timedelta(hours=3))
    session.flush()
    assert periodic.prune_sign_in_records in periodic.TASKS

    @contextmanager
    def factory():
        yield session  # the test's transaction; run_periodic commits (a savepoint here)

    done = periodic.run_periodic(factory, settings={"LOGIN_WINDOW_MINUTES": 15}, storage=None)
    assert done["prune_sign_in_records"] >= 3  # the failure, its throttle row, the reset
    assert _count(session, LoginFailure, LoginFailure.ip == "10.7.0.1") == 0
    assert _count(session, PasswordReset, PasswordReset.ip == "10.7.0.1") == 0
