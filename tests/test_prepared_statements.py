"""PostgreSQL: a request that only reads opens no transaction on the server (BEGIN goes out
before the first write, lock or savepoint: growapp/extensions.py), which saves two round
trips and keeps the pages' prepared statements (psycopg forgets them all on ROLLBACK, and
every read-only request used to end with one). A transaction that wrote, or failed, is
rolled back as before."""

from __future__ import annotations

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, insert, select, text
from sqlalchemy.orm import sessionmaker

from growapp.extensions import make_engine
from growapp.models import User

probe = Table("prepared_probe", MetaData(), Column("n", Integer, primary_key=True))


@pytest.fixture
def engine(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("psycopg's prepared statements")
    engine = make_engine(database_url)
    probe.create(engine)
    yield engine
    probe.drop(engine)
    engine.dispose()


def _prepared(engine) -> list[str]:
    with engine.connect() as conn:
        return conn.scalars(text("SELECT statement FROM pg_prepared_statements")).all()


def _probe_rows(engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(text("SELECT count(*) FROM prepared_probe"))


def test_a_read_only_request_keeps_its_statements_prepared(engine):
    requests = sessionmaker(engine)
    for _ in range(3):  # three requests that only read, each closed as the teardown does
        with requests() as session:
            session.execute(select(User.id).where(User.id == -1)).all()
    assert any("FROM users" in s for s in _prepared(engine))


def _server_transaction(session) -> str:
    return session.connection().connection.dbapi_connection.info.transaction_status.name


@pytest.mark.parametrize("then", ["lock", "advisory lock", "savepoint", "write"])
def test_reads_open_no_transaction_until_one_is_needed(engine, then):
    requests = sessionmaker(engine)
    with requests() as session:
        session.execute(select(User.id).where(User.id == -1)).all()
        assert _server_transaction(session) == "IDLE"  # no BEGIN was sent
        if then == "lock":
            session.execute(select(User.id).where(User.id == -1).with_for_update()).all()
        elif then == "advisory lock":
            session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": 424242})
        elif then == "savepoint":
            session.begin_nested()
            session.execute(select(User.id).where(User.id == -1)).all()
        else:
            session.execute(insert(probe).values(n=7))
        assert _server_transaction(session) == "INTRANS"
        session.commit()
    assert _probe_rows(engine) == (1 if then == "write" else 0)


@pytest.mark.parametrize("write", ["orm flush", "core insert", "text insert", "driver sql",
                                   "executemany", "writing WITH"])
def test_a_transaction_that_wrote_is_still_rolled_back(engine, write):
    requests = sessionmaker(engine)
    with requests() as session:
        session.execute(select(User.id).where(User.id == -1)).all()  # a read first
        if write == "orm flush":
            session.add(User(email="never@example.com", display_name="Never", role="viewer",
                             password_hash="x"))
            session.flush()
        elif write == "core insert":
            session.execute(insert(probe).values(n=1))
        elif write == "text insert":
            session.execute(text("INSERT INTO prepared_probe VALUES (1)"))
        elif write == "driver sql":
            session.connection().exec_driver_sql("INSERT INTO prepared_probe VALUES (1)")
        elif write == "executemany":
            session.execute(insert(probe), [{"n": 1}, {"n": 2}])
        else:
            session.execute(text("WITH made AS (INSERT INTO prepared_probe VALUES (1) "
                                 "RETURNING n) SELECT n FROM made")).all()
        # closed without commit: what a request that failed half-way leaves behind
    assert _probe_rows(engine) == 0
    with engine.connect() as conn:
        assert conn.scalar(select(User.id).where(User.email == "never@example.com")) is None


def test_a_failed_transaction_is_rolled_back_and_the_connection_reused(engine):
    requests = sessionmaker(engine)
    with requests() as session, pytest.raises(Exception, match="division by zero"):
        session.execute(text("SELECT 1 / 0"))
    with requests() as session:
        assert session.scalar(text("SELECT 2")) == 2


def test_a_streamed_read_gets_the_transaction_its_cursor_needs(engine):
    """yield_per reads through a server-side cursor, which PostgreSQL keeps only inside a
    transaction block (the streamed exports)."""
    with sessionmaker(engine)() as session:
        rows = session.scalars(select(User.id).execution_options(yield_per=2))
        assert isinstance(list(rows), list)
        assert _server_transaction(session) == "INTRANS"


def test_a_connection_asked_for_autocommit_gets_no_begin(engine):
    """Maintenance that must run outside a transaction (VACUUM, CREATE INDEX CONCURRENTLY)
    asks for AUTOCOMMIT; the BEGIN sent before a non-SELECT broke it ("VACUUM cannot run
    inside a transaction block": bench/environment.py's settle step)."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM prepared_probe"))
        conn.execute(insert(probe).values(n=7))
        assert conn.connection.dbapi_connection.info.transaction_status.name == "IDLE"
    assert _probe_rows(engine) == 1  # committed as it ran, as AUTOCOMMIT means
    # Back in the pool, the connection reads without a transaction again (SQLAlchemy put
    # its default isolation back, autocommit off: every later request opened one).
    with sessionmaker(engine)() as session:
        session.execute(select(User.id).where(User.id == -1)).all()
        assert _server_transaction(session) == "IDLE"
