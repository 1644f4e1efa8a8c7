"""40 wrong passwords for one account at the same moment from one IP: exactly 5 are
tried (and counted), the rest are refused without a check.

Real commits in a throwaway database: on PostgreSQL each attempt locks the account's
login_throttles row (upsert) before counting; on SQLite BEGIN IMMEDIATE queues them."""

import threading

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from growapp.extensions import make_engine, sqlite_write_intent
from growapp.models import LoginFailure
from growapp.services import signin
from growapp.services.errors import Invalid, RateLimited
from tests.helpers import factories as f
from tests.helpers.databases import fresh_database

ATTEMPTS = 40


@pytest.fixture(scope="module")
def engine():
    url, drop = fresh_database("signin")
    # PostgreSQL: a connection per attempt, so all 40 really race
    eng = make_engine(url) if url.startswith("sqlite") else \
        create_engine(url, pool_size=ATTEMPTS, max_overflow=0)
    yield eng
    eng.dispose()
    drop()


def test_concurrent_wrong_passwords_count_exactly_to_the_limit(engine):
    with Session(engine) as s:
        user = f.make_user(s, "operator")
        s.commit()
        email = user.email
    barrier = threading.Barrier(ATTEMPTS, timeout=60)
    outcomes: list[str] = []

    def attempt() -> None:
        token = sqlite_write_intent.set(True)  # what the web layer does for a POST
        try:
            barrier.wait()
            with Session(engine) as s:
                try:
                    signin.authenticate(s, email=email, password="wrong guess",
                                        ip="203.0.113.5")
                    outcomes.append("signed in")
                except Invalid:
                    outcomes.append("tried")
                except RateLimited:
                    outcomes.append("refused")
                s.commit()  # the route keeps the failure (commit_on_error)
        finally:
            sqlite_write_intent.reset(token)

    threads = [threading.Thread(target=attempt) for _ in range(ATTEMPTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert sorted(outcomes) == ["refused"] * (ATTEMPTS - 5) + ["tried"] * 5
    with Session(engine) as s:
        assert s.scalar(select(func.count(LoginFailure.id))
                        .where(LoginFailure.email == email)) == 5
