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
    _end_reads_with_commit(engine)
    return engine


def _end_reads_with_commit(engine: Engine) -> None:
    """psycopg forgets every prepared statement on ROLLBACK (and deallocates them on the
    server), and every request that only read ends with one — the session's close — so
    with it no page's statement was ever prepared and each was planned afresh (1.7 ms for
    the cockpit's plant query). A transaction that wrote nothing ends the same either way,
    so it ends with COMMIT; one that wrote, or failed, is rolled back as before. "Wrote" is
    judged by the statements sent: INSERT/UPDATE/DELETE/DDL, executemany, and any text
    statement that does not begin with SELECT or SHOW."""
    dialect = engine.dialect
    rollback = dialect.do_rollback

    @event.listens_for(engine, "begin")
    def _fresh(conn) -> None:
        conn.connection.dbapi_connection.growapp_wrote = False

    @event.listens_for(engine, "before_cursor_execute")
    def _note(conn, _cursor, statement, _params, context, executemany) -> None:
        if _writes(statement, context, executemany):
            conn.connection.dbapi_connection.growapp_wrote = True

    @event.listens_for(engine, "commit")
    def _ended(conn) -> None:  # outside SQLAlchemy's transactions nothing is known: "wrote"
        conn.connection.dbapi_connection.growapp_wrote = True

    def do_rollback(pooled) -> None:
        raw = getattr(pooled, "dbapi_connection", pooled)
        read_only = not getattr(raw, "growapp_wrote", True)
        raw.growapp_wrote = True
        if read_only and raw.info.transaction_status == _INTRANS:
            raw.commit()
        else:
            rollback(pooled)

    dialect.do_rollback = do_rollback


_INTRANS = 2  # psycopg.pq.TransactionStatus.INTRANS: in a transaction that has not failed


def _writes(statement: str, context, executemany: bool) -> bool:
    if executemany:
        return True
    if context is not None and context.compiled is not None and not context.is_text:
        return bool(context.isinsert or context.isupdate or context.isdelete or context.isddl)
    return not statement.lstrip()[:6].upper().startswith(("SELECT", "SHOW"))


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
