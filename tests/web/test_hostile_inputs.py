"""Inputs that used to answer 500: each now gets a 4xx (or 503) with the usual body and the
security headers (issue 12, items 10 and 11)."""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import select

from growapp import create_app
from growapp.models import AuditLog
from tests.helpers import factories as f
from tests.helpers.databases import fresh_database
from tests.helpers.settings import app_settings

HUGE = "99999999999999999999999"


@pytest.fixture
def token_headers(api_token):
    _user, raw = api_token("operator")
    return {"Authorization": f"Bearer {raw}"}


def _problem(resp, status):
    assert resp.status_code == status, resp.get_data(as_text=True)[:300]
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert "Content-Security-Policy" in resp.headers
    return resp


@pytest.mark.parametrize("url", [f"/api/v1/experiments/{HUGE}",
                                 f"/api/v1/experiments/{HUGE}/plants",
                                 f"/api/v1/trays/{HUGE}"])
def test_integers_beyond_64_bits_in_api_paths_are_404(client, token_headers, url):
    resp = _problem(client.get(url, headers=token_headers), 404)
    assert resp.is_json and resp.json["detail"]


def test_integers_beyond_64_bits_in_page_paths_and_queries(login_as):
    client = login_as("admin")
    _problem(client.get(f"/experiments/{HUGE}/overview"), 404)
    _problem(client.get(f"/experiments/{HUGE}"), 404)
    resp = _problem(client.get(f"/admin/audit?before={HUGE}"), 422)
    assert b"<html" in resp.data


def test_integers_beyond_64_bits_in_api_queries_and_bodies(client, token_headers, session):
    exp = f.make_experiment(session)
    session.commit()
    _problem(client.get(f"/api/v1/experiments?offset={HUGE}", headers=token_headers), 422)
    resp = _problem(client.post(f"/api/v1/experiments/{exp.id}/plants", headers=token_headers,
                                json={"species_id": -8693562971086946041856}), 422)
    assert resp.json["errors"]["body"]


def test_next_that_normalises_into_a_host_is_ignored(client):
    resp = _problem(client.get("/login?next=//%EF%BC%8Fevil.example"), 200)
    assert b"evil.example" not in resp.data
    resp = client.get("/login?next=/%EF%BC%8Fevil.example")
    assert resp.status_code == 200


def test_json_nested_a_thousand_deep_is_422(client, token_headers):
    for depth in (40, 1000, 100_000):
        body = '{"name": "deep", "description": ' + "[" * depth + "]" * depth + "}"
        resp = _problem(client.post("/api/v1/experiments", data=body, headers=token_headers,
                                    content_type="application/json"), 422)
        assert "deep" in resp.json["detail"] or resp.json["errors"]


def test_chunked_json_over_the_size_limit_is_413(app, client, token_headers):
    limit = app.config["MAX_CONTENT_LENGTH"]
    body = json.dumps({"name": "x" * (limit + 10)}).encode()
    resp = _problem(client.post(
        "/api/v1/experiments", input_stream=io.BytesIO(body),
        headers={**token_headers, "Transfer-Encoding": "chunked",
                 "Content-Type": "application/json"},
        environ_overrides={"wsgi.input_terminated": True}), 413)
    assert resp.json["code"] == "request_too_large"
    small = json.dumps({"name": "Chunked but small"}).encode()
    resp = client.post("/api/v1/experiments", input_stream=io.BytesIO(small),
                       headers={**token_headers, "Transfer-Encoding": "chunked",
                                "Content-Type": "application/json"},
                       environ_overrides={"wsgi.input_terminated": True})
    assert resp.status_code == 201


@pytest.mark.parametrize("sent, kept", [
    ("req-123.abc:DEF_9", True),
    ("x" * 65, False),
    ("tab\there", False),
    ("a;b=c", False),
    ("<script>alert(1)</script>", False),
    ("id with spaces", False),
    ("ünïcode", False),
])
def test_client_request_id_is_checked_before_it_reaches_audit_rows(client, token_headers,
                                                                   session, sent, kept):
    resp = client.post("/api/v1/experiments", json={"name": f"Request id {len(sent)}"},
                       headers={**token_headers, "X-Request-ID": sent})
    assert resp.status_code == 201
    stored = session.scalar(select(AuditLog.request_id).where(
        AuditLog.table_name == "experiments", AuditLog.row_id == str(resp.json["id"])))
    assert resp.headers["X-Request-ID"] == stored
    if kept:
        assert stored == sent
    else:
        assert stored != sent and 1 <= len(stored) <= 64 and stored.isalnum()


def test_a_connection_that_died_during_the_request_still_gets_a_proper_answer(database_url):
    app = create_app(app_settings(database_url))

    @app.after_request
    def _kill_connection(resp):  # the database went away after the work was done
        from flask import g
        g.db_session.connection().connection.dbapi_connection.close()
        return resp

    resp = _problem(app.test_client().get("/readyz"), 200)
    assert resp.json["database"] is True


def test_api_and_pages_before_migrations_ran_are_503():
    url, drop = fresh_database("unmigrated", migrate=False)
    try:
        app = create_app(app_settings(url, WTF_CSRF_ENABLED=False))
        client = app.test_client()
        resp = _problem(client.get("/api/v1/experiments",
                                   headers={"Authorization": "Bearer abc"}), 503)
        assert resp.is_json and resp.json["code"] == "migrations_pending"
        _problem(client.get("/api/v1/experiments"), 401)  # no token: no query needed
        _problem(client.get("/login"), 200)
        resp = _problem(client.post("/login", data={"email": "a@b.c", "password": "x"}), 503)
        assert b"<html" in resp.data
        assert client.get("/readyz").status_code == 503
        app.extensions["growapp_db"].engine.dispose()
    finally:
        drop()


def test_readyz_is_not_ready_while_writes_cannot_begin():
    url, drop = fresh_database("readyz")
    try:
        app = create_app(app_settings(url))
        client = app.test_client()
        assert client.get("/readyz").status_code == 200
        if url.startswith("sqlite"):
            import sqlite3
            holder = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
            holder.execute("BEGIN IMMEDIATE")  # e.g. a stuck writer or a long backup
            try:
                resp = _problem(client.get("/readyz"), 503)
                assert resp.json["writable"] is False
            finally:
                holder.execute("ROLLBACK")
                holder.close()
        else:
            from sqlalchemy import create_engine, text
            from sqlalchemy.engine import make_url
            name = make_url(url).database
            admin = create_engine(url, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'ALTER DATABASE "{name}" SET default_transaction_read_only'
                                  " = on"))
                app.extensions["growapp_db"].engine.dispose()  # new connections see it
                resp = _problem(client.get("/readyz"), 503)
                assert resp.json["writable"] is False
                conn.execute(text(f'ALTER DATABASE "{name}" RESET default_transaction_read_only'))
            admin.dispose()
        app.extensions["growapp_db"].engine.dispose()
        assert client.get("/readyz").status_code == 200
        app.extensions["growapp_db"].engine.dispose()
    finally:
        drop()
