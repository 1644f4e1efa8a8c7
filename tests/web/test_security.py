"""Walk the URL map: CSRF on every state change, sign-in on every private route,
viewers refused on writes. Plus the headers every response carries."""

import re
import uuid

import pytest
from werkzeug.routing import IntegerConverter, UUIDConverter

from growapp import create_app
from tests.helpers.settings import AUDIT_KEY, app_settings

UNSAFE = ("POST", "PUT", "PATCH", "DELETE")


def _rules(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        view = app.view_functions[rule.endpoint]
        yield rule, view


def _url(rule) -> str:
    values = {}
    for arg in rule.arguments:
        conv = rule._converters[arg]
        values[arg] = (999999 if isinstance(conv, IntegerConverter)
                       else uuid.uuid4() if isinstance(conv, UUIDConverter) else "x")
    return rule.build(values)[1]


def _cases(predicate):
    app = create_app(app_settings("sqlite://"))
    cases = []
    for rule, view in _rules(app):
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if predicate(rule, view, method):
                cases.append(pytest.param(method, _url(rule), id=f"{method} {rule.rule}"))
    return cases


WRITE_ROUTES = _cases(lambda r, v, m: m in UNSAFE)
PRIVATE_ROUTES = _cases(lambda r, v, m: not getattr(v, "growapp_public", False))
VIEWER_FORBIDDEN = _cases(lambda r, v, m: m in UNSAFE
                          and not getattr(v, "growapp_public", False)
                          and not getattr(v, "growapp_viewer_write", False))


def test_the_walk_covers_the_app():
    assert len(WRITE_ROUTES) >= 10 and len(PRIVATE_ROUTES) >= 20


@pytest.mark.parametrize("method, url", WRITE_ROUTES)
def test_state_changes_refuse_a_missing_csrf_token(login_as, method, url):
    client = login_as("admin")
    resp = client.open(url, method=method, csrf=False)
    assert resp.status_code == 400, resp.data[:200]
    if url.startswith("/api/"):
        assert resp.json["code"] == "csrf_failed"


@pytest.mark.parametrize("method, url", PRIVATE_ROUTES)
def test_private_routes_refuse_anonymous_users(client, method, url):
    resp = client.open(url, method=method)
    if url.startswith("/api/"):
        assert resp.status_code == 401
        assert resp.json["detail"]
    else:
        assert resp.status_code in (302, 303)
        location = resp.headers["Location"]
        assert location.startswith("/login")
        if method == "GET":
            assert f"next={url}" in location.replace("%2F", "/")


@pytest.mark.parametrize("method, url", VIEWER_FORBIDDEN)
def test_viewers_cannot_write(login_as, method, url):
    client = login_as("viewer")
    resp = client.open(url, method=method)
    assert resp.status_code == 403, resp.data[:200]


def test_security_headers(client):
    resp = client.get("/login")
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"] == "same-origin"
    assert resp.headers["X-Request-ID"]
    assert "HX-Request" in resp.headers["Vary"]


def test_no_inline_script_in_pages(login_as, session):
    client = login_as("admin")
    for url in ("/", "/login", "/experiments/new", "/profile", "/admin/users"):
        html = client.get(url).get_data(as_text=True)
        for tag in re.findall(r"<script[^>]*>", html):
            assert "src=" in tag, f"inline script on {url}: {tag}"
        assert not re.search(r"<[^>]+\son[a-z]+\s*=", html), f"inline handler on {url}"
        assert "hx-on" not in html


def test_session_cookie_flags(app, session):
    from tests.helpers import factories

    user = factories.make_user(session, "operator")
    session.commit()
    client = app.test_client()
    client.get("/login")
    resp = client.post("/login", data={"email": user.email, "password": factories.PASSWORD})
    assert resp.status_code == 303
    cookies = resp.headers.getlist("Set-Cookie")
    session_cookie = next(c for c in cookies if c.startswith("session="))
    assert "HttpOnly" in session_cookie and "SameSite=Lax" in session_cookie


def test_production_cookies_are_secure(monkeypatch):
    monkeypatch.setenv("GROWAPP_ENV", "production")
    monkeypatch.setenv("GROWAPP_SECRET_KEY", "s" * 40)
    monkeypatch.setenv("GROWAPP_AUDIT_KEY", AUDIT_KEY)
    app = create_app({"DATABASE_URL": "sqlite://"})
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_production_requires_a_secret_key(monkeypatch):
    from growapp.config import ConfigError

    monkeypatch.setenv("GROWAPP_ENV", "production")
    monkeypatch.delenv("GROWAPP_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError):
        create_app({"DATABASE_URL": "sqlite://"})


def test_oversize_body_gets_413(login_as, app):
    client = login_as("operator")
    limit = app.config["MAX_CONTENT_LENGTH"]
    body = b"x" * (limit + 1)
    resp = client.post("/api/v1/experiments", data=body, content_type="application/json")
    assert resp.status_code == 413
    assert resp.json["code"] == "request_too_large"
    page = client.post("/experiments/new", data=body,
                       content_type="application/x-www-form-urlencoded")
    assert page.status_code == 413
    assert b"too large" in page.data


@pytest.mark.parametrize("target, expected", [
    ("/experiments/1", "/experiments/1"),
    ("https://evil.example/", "/"),
    ("//evil.example/", "/"),
    ("/\\evil.example", "/"),
    ("javascript:alert(1)", "/"),
    ("experiments", "/"),
])
def test_safe_next(target, expected):
    from growapp.http.htmx import safe_next

    assert safe_next(target) == expected


def test_login_ignores_open_redirects(app, session):
    from tests.helpers import factories

    user = factories.make_user(session, "operator")
    session.commit()
    client = app.test_client()
    resp = client.post("/login?next=https://evil.example/x",
                       data={"email": user.email, "password": factories.PASSWORD})
    assert resp.status_code == 303 and resp.headers["Location"] == "/"


def test_friendly_error_pages(login_as):
    client = login_as("operator")
    resp = client.get("/experiments/424242/overview")
    assert resp.status_code == 404 and b"does not exist" in resp.data
    assert b"Traceback" not in resp.data
    api = client.get("/api/v1/experiments/424242")
    assert api.status_code == 404 and api.json == {"detail": "Experiment 424242 does not exist."}
    assert client.get("/admin/users").status_code == 403


def test_nul_characters_get_422_not_500(login_as, session):
    from tests.helpers import factories

    client = login_as("operator")
    exp = factories.make_experiment(session)
    session.commit()
    form = client.post("/experiments/new", data={"name": "bad\x00name"})
    assert form.status_code == 422 and b"NUL" in form.data
    api = client.post("/api/v1/experiments", data='{"name": "bad\\u0000name"}',
                      content_type="application/json")
    assert api.status_code == 422 and api.json["errors"]["body"]
    query = client.get(f"/experiments/{exp.id}/overview?q=a%00b")
    assert query.status_code == 422
