"""Shared extension objects: the database, the login manager and CSRF protection."""

from __future__ import annotations

import contextvars
import logging
import os
import select

from flask import Flask, current_app, g
from flask_login import LoginManager
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from .http.csrf_mask import MaskedCSRFProtect

log = logging.getLogger(__name__)
login_manager = LoginManager()
csrf = MaskedCSRFProtect()  # unmasks the per-response token (BREACH)

# Write requests on SQLite begin with BEGIN IMMEDIATE so that two writers that both read
# before writing (capacity checks) queue on the write lock instead of failing to upgrade.
sqlite_write_intent: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "sqlite_write_intent", default=False
)


BUSY_TIMEOUT_MS = 30000  # how long a SQLite writer waits for the write lock


def make_engine(url: str, echo: bool = False) -> Engine:
    if url.startswith("sqlite"):
        kwargs: dict = {"connect_args": {"check_same_thread": False, "timeout": 30}}
        if url in ("sqlite://", "sqlite:///:memory:"):
            kwargs["poolclass"] = StaticPool
        engine = create_engine(url, echo=echo, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (see below)
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):
            conn.exec_driver_sql("BEGIN IMMEDIATE" if sqlite_write_intent.get() else "BEGIN")

        return engine
    # PostgreSQL (psycopg 3). No pre-ping round trip on every checkout (each page): a
    # pooled connection the server closed (restart, pg_terminate_backend, idle timeout) has
    # data waiting on its socket — the FATAL message and the end of the stream — so the
    # checkout looks at the socket (a poll, no round trip) and only then pings; a dead one
    # is replaced before the request sees it. Connections are recycled after 30 minutes
    # (proxies that drop idle connections silently); GROWAPP_DB_PRE_PING=1 brings the
    # ping on every checkout back. psycopg prepares a statement server-side once a
    # connection has run it ``prepare_threshold`` times (default 5): 2 prepares the pages'
    # queries on their second run; GROWAPP_DB_PREPARE_THRESHOLD=0 turns it off (for
    # PgBouncer in transaction mode).
    threshold = os.environ.get("GROWAPP_DB_PREPARE_THRESHOLD", "2").strip()
    engine = create_engine(
        url, echo=echo, pool_size=5, max_overflow=5, pool_recycle=1800,
        pool_pre_ping=os.environ.get("GROWAPP_DB_PRE_PING", "0") == "1",
        connect_args={"prepare_threshold": int(threshold) if threshold not in ("", "0")
                      else None})
    event.listen(engine, "checkout", _closed_by_server)
    _begin_at_first_write(engine)
    return engine


def _begin_at_first_write(engine: Engine) -> None:
    """A request that only reads sends no BEGIN and no COMMIT/ROLLBACK: the connection is
    in autocommit and BEGIN goes out just before the first statement that needs a
    transaction — a write, a row or advisory lock, a savepoint. Reads before it see what
    they would have seen inside the transaction (READ COMMITTED takes a fresh snapshot per
    statement either way), and the write and everything after it are one transaction,
    committed or rolled back by SQLAlchemy as before.

    Two reasons. A read-only page saves two of its few round trips (~0.2 ms each over TCP,
    plus a wake-up of the waiting worker). And psycopg forgets every prepared statement on
    ROLLBACK (deallocating them on the server): every read-only request ended with one (the
    session's close), so no page statement was ever prepared and each was planned afresh
    on every request (1.7 ms for the cockpit's plant query); with no transaction open,
    there is nothing to roll back."""
    from psycopg.pq import TransactionStatus  # PostgreSQL only: psycopg is its driver

    @event.listens_for(engine, "connect")
    def _autocommit(dbapi_conn, _record) -> None:
        dbapi_conn.autocommit = True

    @event.listens_for(engine, "checkin")
    def _autocommit_again(dbapi_conn, _record) -> None:
        """A connection lent out with an isolation level of its own comes back with
        SQLAlchemy's default put back — autocommit off — and would open a transaction on
        every request from then on (its prepared statements lost at each ROLLBACK)."""
        if (dbapi_conn is not None and not dbapi_conn.autocommit
                and dbapi_conn.info.transaction_status == TransactionStatus.IDLE):
            dbapi_conn.autocommit = True

    @event.listens_for(engine, "before_cursor_execute")
    def _begin(conn, cursor, statement, _params, context, executemany) -> None:
        raw = cursor.connection
        if not (raw.autocommit and conn.in_transaction()
                and raw.info.transaction_status == TransactionStatus.IDLE):
            return
        if conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
            return  # asked for no transaction (VACUUM, CREATE INDEX CONCURRENTLY)
        if _needs_transaction(statement, context, executemany):
            raw.execute("BEGIN")


_LOCKS = (" FOR UPDATE", " FOR NO KEY UPDATE", " FOR SHARE", " FOR KEY SHARE",
          "pg_advisory_xact_lock")


def _needs_transaction(statement: str, context, executemany: bool) -> bool:
    """A write (INSERT/UPDATE/DELETE/DDL by SQLAlchemy's own flags; any executemany; a text
    statement that does not begin with SELECT or SHOW, a writing ``WITH … INSERT``
    included), a lock held to the end of the transaction, a savepoint, or a server-side
    cursor (streamed exports)."""
    if executemany:
        return True
    if context is not None and context.execution_options.get("stream_results"):
        return True  # a server-side cursor (yield_per) lives in a transaction
    head = statement.lstrip()[:9].upper()
    if head.startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
        return True
    if context is not None and context.compiled is not None and not context.is_text:
        if context.isinsert or context.isupdate or context.isdelete or context.isddl:
            return True
    elif not head.startswith(("SELECT", "SHOW")):
        return True
    return any(lock in statement for lock in _LOCKS)


def _closed_by_server(dbapi_conn, _record, _proxy) -> None:
    """Checkout: an idle pooled connection has nothing to read unless the server sent
    something since — usually that it is closing the connection. Then ping it; a failed
    ping raises DisconnectionError, and the pool connects afresh and checks out again."""
    try:  # poll, not select(): select() refuses descriptors above 1023 (a busy server)
        poller = select.poll()
        poller.register(dbapi_conn.fileno(), select.POLLIN | select.POLLERR | select.POLLHUP)
        waiting = poller.poll(0)
    except (OSError, ValueError) as exc:  # closed on our side already
        raise DisconnectionError(str(exc)) from exc
    if not waiting:
        return
    try:
        cursor = dbapi_conn.cursor()
        cursor.execute("SELECT 1")
        cursor.close()
        dbapi_conn.rollback()
    except Exception as exc:  # noqa: BLE001 - whatever the driver raises, it is dead
        log.info("pooled connection closed by the server; reconnecting (%s)", exc)
        raise DisconnectionError(str(exc)) from exc


class Database:
    """Owns one app's engine and hands each request one Session (``db.session``)."""

    def __init__(self, app: Flask) -> None:
        self.engine: Engine = make_engine(app.config["DATABASE_URL"], app.config.get("SQL_ECHO"))
        self.session_factory: sessionmaker[Session] = sessionmaker(
            bind=self.engine, expire_on_commit=False,
            info={"audit_key": app.config.get("AUDIT_KEY"),
                  # earlier keys still open the webhook secrets they sealed
                  "audit_key_previous": tuple(app.config.get("AUDIT_KEY_PREVIOUS") or ())},
        )
        self.tz = app.config.get("TZINFO")  # the installation's zone (services.clock)
        app.extensions["growapp_db"] = self
        app.teardown_appcontext(_close_session)

    def new_session(self) -> Session:
        session = self.session_factory()
        if self.tz is not None:
            session.info["tz"] = self.tz
        return session


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is None:
        return
    try:
        session.close()  # rolls back anything not committed
    except Exception:  # noqa: BLE001 - the response is already made; keep it
        # A connection that died mid-request fails its rollback here. Raising from a
        # teardown would replace the answer with the server's bare 500 (no headers).
        log.warning("closing the database session failed; discarding its connection",
                    exc_info=True)
        try:
            session.invalidate()
        except Exception:  # noqa: BLE001
            log.warning("invalidating the session failed", exc_info=True)


class _CurrentDatabase:
    """``db.session``: the current request's Session of the current app."""

    @property
    def database(self) -> Database:
        return current_app.extensions["growapp_db"]

    @property
    def session(self) -> Session:
        if "db_session" not in g:
            g.db_session = self.database.new_session()
        return g.db_session


db = _CurrentDatabase()


def file_storage():
    """The current app's file store (growapp.storage): photos and generated files."""
    return current_app.extensions["growapp_storage"]


def job_queue():
    """The current app's job queue (growapp.jobs): label PDFs over 100 labels, exports."""
    return current_app.extensions["growapp_jobs"]
