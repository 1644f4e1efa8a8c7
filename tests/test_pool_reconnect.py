"""PostgreSQL without a pre-ping per checkout: a pooled connection the server closed while
it sat idle (a restart, pg_terminate_backend, an idle timeout) is replaced at checkout, so
the next request is answered as if nothing happened (growapp/extensions.py)."""

from __future__ import annotations

import os
import resource
import time

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from growapp import create_app
from tests.helpers.settings import app_settings


def _backend_pid(engine) -> int:
    with engine.connect() as conn:
        return conn.connection.dbapi_connection.info.backend_pid


def test_a_pooled_connection_the_server_closed_is_replaced_before_the_request(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL closes connections from the server side")
    app = create_app(app_settings(database_url))
    engine = app.extensions["growapp_db"].engine
    client = app.test_client()
    assert client.get("/readyz").status_code == 200
    pid = _backend_pid(engine)  # the one idle connection in the pool
    admin = create_engine(database_url, poolclass=NullPool)
    try:
        with admin.connect() as conn:
            assert conn.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        deadline = time.monotonic() + 5
        with admin.connect() as conn:
            while conn.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"),
                              {"pid": pid}) and time.monotonic() < deadline:
                time.sleep(0.02)
    finally:
        admin.dispose()
    resp = client.get("/readyz")
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["database"] is True
    assert _backend_pid(engine) != pid  # a new connection took its place
    engine.dispose()


def test_the_checkout_check_works_past_descriptor_1023(database_url):
    """A busy server holds over a thousand descriptors; select() refuses any above 1023,
    which made every checkout of such a connection look dead (and fail)."""
    if not database_url.startswith("postgresql"):
        pytest.skip("the checkout check is PostgreSQL's")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 1200:
        pytest.skip(f"this machine allows only {hard} open files")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, 1200), hard))
    fillers = []
    try:
        while not fillers or fillers[-1] < 1030:
            fillers.append(os.open(os.devnull, os.O_RDONLY))
        app = create_app(app_settings(database_url))
        engine = app.extensions["growapp_db"].engine
        with engine.connect() as conn:
            assert conn.connection.dbapi_connection.fileno() > 1023
            pid = conn.connection.dbapi_connection.info.backend_pid
        client = app.test_client()
        for _ in range(3):  # checked out again from the pool each time
            assert client.get("/readyz").status_code == 200
        assert _backend_pid(engine) == pid  # the same live connection, not replaced
        engine.dispose()
    finally:
        for fd in fillers:
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
