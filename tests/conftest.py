"""Fixtures: the app from the factory, one rolled-back transaction per test, clients.

The database is chosen by TEST_DATABASE_URL (default: a temporary SQLite file). For
PostgreSQL, give a server URL (postgresql+psycopg://postgres@127.0.0.1:5432/growapp_test);
a fresh database is created for the run and dropped afterwards.
"""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy.orm import Session, sessionmaker

from growapp import create_app
from growapp.extensions import make_engine, sqlite_write_intent
from growapp.services.labels.sheet_templates import ensure_label_templates
from growapp.services.presets import ensure_presets
from tests.helpers import factories, s3
from tests.helpers.databases import fresh_database
from tests.helpers.settings import AUDIT_KEY, app_settings

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    url, drop = fresh_database("main")
    engine = make_engine(url)
    with Session(engine) as session:
        ensure_presets(session)
        ensure_label_templates(session)
        session.commit()
    engine.dispose()
    yield url
    drop()


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    app = create_app(app_settings(database_url, JOBS_BACKEND="inline",
                                   UPLOAD_DIR=str(tmp_path_factory.mktemp("uploads"))))
    app.test_client_class = CsrfClient
    return app


@pytest.fixture
def connection(app):
    """One outer transaction per test, rolled back at the end; commits become savepoints."""
    database = app.extensions["growapp_db"]
    # A POST of an earlier test left the write intent set in this thread: the outer
    # transaction would begin IMMEDIATE and hold SQLite's write lock for the whole test.
    sqlite_write_intent.set(False)
    conn = database.engine.connect()
    outer = conn.begin()
    original = database.session_factory
    database.session_factory = sessionmaker(bind=conn, join_transaction_mode="create_savepoint",
                                            expire_on_commit=False,
                                            info={"audit_key": AUDIT_KEY})
    pending_jobs = app.extensions["growapp_jobs"].pending  # the inline queue: per test
    pending_jobs.clear()
    yield conn
    pending_jobs.clear()
    database.session_factory = original
    outer.rollback()
    conn.close()


@pytest.fixture
def session(connection):
    s = Session(bind=connection, join_transaction_mode="create_savepoint",
                expire_on_commit=False, info={"audit_key": AUDIT_KEY})
    yield s
    s.close()


class CsrfClient(FlaskClient):
    """Sends a valid X-CSRFToken on unsafe requests unless ``csrf=False`` is passed."""

    def open(self, *args, csrf: bool = True, **kwargs):
        method = (kwargs.get("method") or "GET").upper()
        if csrf and method in UNSAFE:
            headers = dict(kwargs.pop("headers", None) or {})
            headers.setdefault("X-CSRFToken", self.csrf_token())
            kwargs["headers"] = headers
        return super().open(*args, **kwargs)

    def csrf_token(self) -> str:
        raw = "test-csrf-raw-token"
        with self.session_transaction() as sess:
            sess["csrf_token"] = raw
        return URLSafeTimedSerializer(self.application.secret_key, salt="wtf-csrf-token").dumps(raw)


@pytest.fixture
def client(app, connection):
    return app.test_client()


@pytest.fixture
def hx_client(app, connection):
    """A client whose requests look like htmx fragment requests."""
    c = app.test_client()
    c.environ_base["HTTP_HX_REQUEST"] = "true"
    return c


@pytest.fixture
def login_as(app, session):
    """login_as("operator") → a signed-in client for a new user with that role."""

    def _login(role: str = "operator", client: FlaskClient | None = None, user=None):
        user = user or factories.make_user(session, role=role)
        c = client or app.test_client()
        factories.sign_in_client(session, c, user)
        c.user = user
        return c

    return _login


@pytest.fixture
def api_token(session):
    """api_token("viewer") → (user, raw bearer token)."""
    from growapp.services.users import create_api_token

    def _make(role: str = "operator"):
        user = factories.make_user(session, role=role)
        _token, raw = create_api_token(session, user=user, name="test")
        session.commit()
        return user, raw

    return _make


@pytest.fixture(scope="session")
def s3_endpoint(tmp_path_factory):
    """A moto S3 server for the run (started on first use); boto3's standard credential
    chain sees its fake keys through the environment."""
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    with pytest.MonkeyPatch.context() as mp, s3.moto_server(log) as endpoint:
        for name, value in s3.CREDENTIALS.items():
            mp.setenv(name, value)
        yield endpoint


@pytest.fixture
def s3_bucket(s3_endpoint):
    """A new, empty bucket on the moto server."""
    return s3.new_bucket(s3_endpoint)
