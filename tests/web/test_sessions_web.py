"""Sign-in sessions end for real: sign-out, password changes, role changes; the devices
list; remember cookies fresh per sign-in; password recovery; links and proxies."""

import re
import time
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest
from sqlalchemy import select

from growapp.models import AuditLog, Event, PasswordReset, User, UserSession
from tests.helpers import factories as f
from tests.helpers import mail

FIREFOX_ANDROID = ("Mozilla/5.0 (Android 14; Mobile; rv:128.0) Gecko/128.0 Firefox/128.0")


def _sign_in(app, user, remember=True, user_agent=FIREFOX_ANDROID, headers=None):
    client = app.test_client()
    data = {"email": user.email, "password": f.PASSWORD}
    if remember:
        data["remember"] = "y"
    resp = client.post("/login", data=data,
                       headers={"User-Agent": user_agent, **(headers or {})})
    assert resp.status_code == 303, resp.data[:300]
    return client, resp


def _cookie(client, name):
    cookie = client.get_cookie(name)
    return cookie.value if cookie else None


def _with_cookies(app, **cookies):
    other = app.test_client()
    for name, value in cookies.items():
        other.set_cookie(name, value)
    return other


def _signed_in(client) -> bool:
    return client.get("/profile").status_code == 200


def test_sign_out_ends_the_session_and_the_remember_cookie(app, session):
    user = f.make_user(session, "operator")
    session.commit()
    client, _ = _sign_in(app, user)
    old_session, old_remember = _cookie(client, "session"), _cookie(client, "remember_token")
    assert old_session and old_remember
    assert client.post("/logout").status_code == 303
    assert not _signed_in(client)
    assert not _signed_in(_with_cookies(app, session=old_session))  # replayed session cookie
    assert not _signed_in(_with_cookies(app, remember_token=old_remember))  # remember cookie
    row = session.scalar(select(UserSession).where(UserSession.user_id == user.id))
    assert row.revoked_at is not None and row.revoked_reason == "signed out"


def test_remember_tokens_are_fresh_hashed_and_last_30_days(app, session):
    user = f.make_user(session, "operator")
    session.commit()
    first, resp = _sign_in(app, user)
    second, _ = _sign_in(app, user)
    one, two = _cookie(first, "remember_token"), _cookie(second, "remember_token")
    assert one != two
    cookie = next(c for c in resp.headers.getlist("Set-Cookie")
                  if c.startswith("remember_token="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    expires = parsedate_to_datetime(re.search(r"Expires=([^;]+)", cookie).group(1))
    assert timedelta(days=29) < expires - datetime.now(UTC) <= timedelta(days=30)
    rows = session.scalars(select(UserSession).where(UserSession.user_id == user.id)).all()
    token = one.split("|")[0]
    assert len(rows) == 2 and all(token not in (r.token_hash, r.user_agent) for r in rows)
    assert all(r.remember and r.expires_at - r.created_at == timedelta(days=30) for r in rows)
    # a remember cookie alone signs in (a new browser session), until its row is revoked
    assert _signed_in(_with_cookies(app, remember_token=one))
    first_row = min(rows, key=lambda r: r.id)
    first_row.revoked_at = first_row.created_at
    session.commit()
    assert not _signed_in(_with_cookies(app, remember_token=one))
    assert _signed_in(_with_cookies(app, remember_token=two))


def test_without_keep_me_signed_in_no_remember_cookie(app, session):
    user = f.make_user(session, "operator")
    session.commit()
    client, resp = _sign_in(app, user, remember=False)
    assert not any(c.startswith("remember_token=") for c in resp.headers.getlist("Set-Cookie"))
    assert _signed_in(client)


def test_password_change_ends_every_other_session(app, session):
    user = f.make_user(session, "viewer")
    session.commit()
    phone, _ = _sign_in(app, user)
    laptop, _ = _sign_in(app, user)
    phone_remember = _cookie(phone, "remember_token")
    resp = laptop.post("/profile/password", data={
        "current_password": f.PASSWORD, "password": "brand new pass", "confirm": "brand new pass"})
    assert resp.status_code == 303
    assert _signed_in(laptop)  # the device that changed it stays signed in
    assert not _signed_in(phone)
    assert not _signed_in(_with_cookies(app, remember_token=phone_remember))


@pytest.mark.parametrize("form", [{"role": "viewer", "active": "1"},
                                  {"role": "operator", "active": "0"}])
def test_admin_role_change_or_deactivation_ends_their_sessions(app, session, login_as, form):
    user = f.make_user(session, "operator")
    session.commit()
    client, _ = _sign_in(app, user)
    remember = _cookie(client, "remember_token")
    admin = login_as("admin")
    assert admin.post(f"/admin/users/{user.id}", data=form).status_code == 303
    assert not _signed_in(client)
    assert not _signed_in(_with_cookies(app, remember_token=remember))
    if form["active"] == "1":  # signing in again gives the new role
        again, _ = _sign_in(app, user)
        assert again.post("/experiments/new", data={"name": "x"}).status_code == 403


def test_profile_lists_devices_and_signs_them_out(app, session):
    user = f.make_user(session, "viewer")
    session.commit()
    phone, _ = _sign_in(app, user)
    laptop, _ = _sign_in(app, user, user_agent=(
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like "
        "Gecko) Version/17.5 Safari/605.1.15"))
    html = laptop.get("/profile").get_data(as_text=True)
    assert "Firefox on Android" in html and "Safari on macOS · this device" in html
    assert "127.0.0.1" in html and "Sign out everywhere" in html
    phone_row = session.scalar(select(UserSession).where(
        UserSession.user_id == user.id, UserSession.user_agent == FIREFOX_ANDROID))
    assert laptop.post(f"/profile/sessions/{phone_row.id}/end").status_code == 303
    assert not _signed_in(phone) and _signed_in(laptop)
    other = f.make_user(session, "viewer")
    session.commit()
    stranger, _ = _sign_in(app, other)
    laptop_row = session.scalar(select(UserSession).where(
        UserSession.user_id == user.id, UserSession.revoked_at.is_(None)))
    assert stranger.post(f"/profile/sessions/{laptop_row.id}/end").status_code == 404
    phone, _ = _sign_in(app, user)
    resp = laptop.post("/profile/sessions/end-all")
    assert resp.status_code == 303 and resp.headers["Location"] == "/login"
    assert not _signed_in(laptop) and not _signed_in(phone) and _signed_in(stranger)


def test_sign_in_events_are_in_the_audit_trail_with_the_user(app, session):
    user = f.make_user(session, "operator")
    session.commit()
    last = session.scalar(select(AuditLog.id).order_by(AuditLog.id.desc()).limit(1)) or 0
    client = app.test_client()
    assert client.post("/login", data={"email": user.email, "password": "wrong"}) \
        .status_code == 422
    client, _ = _sign_in(app, user)
    client.post("/logout")
    rows = session.scalars(select(AuditLog).where(AuditLog.id > last)
                           .order_by(AuditLog.id)).all()
    summary = [(r.table_name, r.action, r.user_id, r.reason) for r in rows]
    assert summary == [("login_failures", "insert", None, "failed sign-in"),
                       ("user_sessions", "insert", user.id, "sign-in"),
                       ("user_sessions", "update", user.id, "sign-out")]
    assert rows[0].changes["email"][1] == user.email
    assert not any(r.table_name == "users" for r in rows)  # no anonymous "users" update
    kinds = [e.kind for e in session.scalars(select(Event).order_by(Event.id.desc()).limit(3))]
    assert kinds == ["user.signed_out", "user.signed_in", "user.sign_in_failed"]
    assert session.scalar(select(Event.user_id).where(Event.kind == "user.signed_out")
                          .order_by(Event.id.desc()).limit(1)) == user.id


def test_api_token_last_used_adds_no_audit_rows(app, session, api_token):
    _user, raw = api_token("viewer")
    last = session.scalar(select(AuditLog.id).order_by(AuditLog.id.desc()).limit(1)) or 0
    client = app.test_client()
    assert client.get("/api/v1/experiments", headers={
        "Authorization": f"Bearer {raw}"}).status_code == 200
    assert session.scalar(select(AuditLog.id).where(AuditLog.id > last).limit(1)) is None


# Password recovery -------------------------------------------------------------------

def test_forgot_password_by_email_single_use(app, session, monkeypatch):
    outbox = mail.install(monkeypatch, app)
    user = f.make_user(session, "operator")
    session.commit()
    phone, _ = _sign_in(app, user)
    guest = app.test_client()
    assert b"Forgot your password?" in guest.get("/login").data
    known = guest.post("/forgot-password", data={"email": user.email})
    unknown = guest.post("/forgot-password", data={"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 303
    page_known = guest.get("/login").get_data(as_text=True)
    assert "If an account exists for that address" in page_known
    mail.wait_sent(app)
    assert len(outbox) == 1 and outbox[0]["To"] == user.email
    link = re.search(r"https://growapp\.example\.org/reset-password/\S+",
                     outbox[0].get_content()).group(0)
    path = link.removeprefix("https://growapp.example.org")
    token = path.rsplit("/", 1)[1]
    assert session.scalar(select(PasswordReset.token_hash).where(
        PasswordReset.user_id == user.id)) not in (None, token)
    assert guest.get(path).status_code == 200
    bad = guest.post(path, data={"password": "short", "confirm": "short"})
    assert bad.status_code == 422
    ok = guest.post(path, data={"password": "a brand new one", "confirm": "a brand new one"})
    assert ok.status_code == 303 and ok.headers["Location"] == "/login"
    assert not _signed_in(phone)  # every session ended
    assert guest.get(path).status_code == 410  # single use
    session.expire_all()
    user = session.get(User, user.id)
    again = app.test_client().post("/login", data={"email": user.email,
                                                   "password": "a brand new one"})
    assert again.status_code == 303


def test_forgot_password_is_rate_limited_the_same_for_unknown_addresses(app, session,
                                                                       monkeypatch):
    mail.install(monkeypatch, app)
    user = f.make_user(session, "operator")
    session.commit()
    for email in (user.email, "ghost@example.com"):
        guest = app.test_client()
        codes = [guest.post("/forgot-password", data={"email": email}).status_code
                 for _ in range(4)]
        assert codes == [303, 303, 303, 429]
    mail.wait_sent(app)  # sent to the fake server, not to whatever the next test has


def test_forgot_password_mail_leaves_the_request(app, session, monkeypatch):
    """A slow SMTP server (2 s a message) holds no request: known and unknown addresses
    get the same answer in the same (short) time, and only the known one gets mail."""
    outbox = mail.install(monkeypatch, app, delay=2.0)
    user = f.make_user(session, "operator")
    session.commit()
    answers = {}
    for email in (user.email, "nobody-here@example.com", user.email.upper()):
        guest = app.test_client()
        started = time.perf_counter()
        resp = guest.post("/forgot-password", data={"email": email})
        took = time.perf_counter() - started
        answers[email] = (resp.status_code, resp.headers["Location"],
                          guest.get("/login").get_data(as_text=True).count(
                              "If an account exists for that address"), took)
    assert {a[:3] for a in answers.values()} == {(303, "/login", 1)}
    assert max(a[3] for a in answers.values()) < 1.0, answers  # not 2 s of SMTP
    assert outbox == []  # still being "sent" by the mail thread
    mail.wait_sent(app)
    assert [m["To"] for m in outbox] == [user.email, user.email]
    assert "/reset-password/" in outbox[0].get_content()


def test_forgot_password_mail_is_not_sent_when_the_write_fails(app, session, monkeypatch):
    """The mail goes after the commit: a request that rolls back sends nothing."""
    from growapp.services import password_reset

    outbox = mail.install(monkeypatch, app)
    user = f.make_user(session, "operator")
    session.commit()
    real = password_reset.request_password_reset

    def then_fail(s, **kwargs):
        real(s, **kwargs)
        raise password_reset.Conflict("The database went away.")

    monkeypatch.setattr(password_reset, "request_password_reset", then_fail)
    assert app.test_client().post("/forgot-password",
                                  data={"email": user.email}).status_code == 409
    mail.wait_sent(app)
    assert outbox == []


def test_reset_links_expire(app, session):
    from growapp.services.password_reset import request_password_reset

    user = f.make_user(session, "operator")
    _user, token = request_password_reset(session, email=user.email, ip="1.1.1.1")
    reset = session.scalar(select(PasswordReset).where(PasswordReset.user_id == user.id))
    reset.expires_at = reset.created_at
    session.commit()
    assert app.test_client().get(f"/reset-password/{token}").status_code == 410
    assert app.test_client().get("/reset-password/made-up").status_code == 404


def test_forgot_password_needs_smtp(app, session):
    guest = app.test_client()
    assert b"Forgot your password?" not in guest.get("/login").data
    page = guest.get("/forgot-password")
    assert b"not set up here" in page.data
    assert guest.post("/forgot-password", data={"email": "a@example.com"}).status_code == 409


def test_admin_resets_a_password(app, session, login_as, monkeypatch):
    outbox = mail.install(monkeypatch, app)
    user = f.make_user(session, "operator")
    session.commit()
    phone, _ = _sign_in(app, user)
    admin = login_as("admin")
    resp = admin.post(f"/admin/users/{user.id}/password-reset")
    assert resp.status_code == 200 and b"was reset" in resp.data
    link = re.search(rb'value="(https://growapp\.example\.org/reset-password/[^"]+)"',
                     resp.data).group(1).decode()
    mail.wait_sent(app)  # the mail thread sends it after the commit
    assert link in outbox[0].get_content()
    assert not _signed_in(phone)
    old = app.test_client().post("/login", data={"email": user.email, "password": f.PASSWORD})
    assert old.status_code == 422  # the old password no longer works
    path = link.removeprefix("https://growapp.example.org")
    assert app.test_client().post(path, data={"password": "chosen again 1",
                                              "confirm": "chosen again 1"}).status_code == 303
    assert admin.post(f"/admin/users/{admin.user.id}/password-reset").status_code == 409


def test_admin_invite_and_reset_mail_leave_the_request(app, session, login_as,
                                                       monkeypatch):
    """The admin's invite and password-reset mails go through the mail thread after the
    commit: with an SMTP server that takes nothing until released, both pages answer (and
    show their links) while the mail is still waiting; then both are delivered."""
    outbox = mail.install(monkeypatch, app, held=True)
    user = f.make_user(session, "operator")
    session.commit()
    admin = login_as("admin")
    try:
        invite = admin.post("/admin/invites", data={"email": "held.mail@example.com",
                                                    "role": "viewer"})
        reset = admin.post(f"/admin/users/{user.id}/password-reset")
        assert outbox == []  # both answered before the SMTP server took anything
    finally:
        mail.release()
    assert invite.status_code == 201 and b"We are emailing them the link" in invite.data
    assert reset.status_code == 200 and b"We are emailing them the link" in reset.data
    links = [re.search(rb'value="(https://growapp\.example\.org/[^"]+)"', r.data)
             .group(1).decode() for r in (invite, reset)]
    mail.wait_sent(app)
    assert [m["To"] for m in outbox] == ["held.mail@example.com", user.email]
    assert [link in m.get_content() for link, m in zip(links, outbox, strict=True)] == \
        [True, True]


# Absolute links ----------------------------------------------------------------------

def _post_as_host(client, host: str, url: str, **kwargs):
    """POST with ``Host: host``; the test client sends cookies by host, so this client's
    session (with its CSRF token) is copied to that host first."""
    token = client.csrf_token()
    client.set_cookie("session", client.get_cookie("session").value,
                      domain=host.split(":")[0])
    return client.post(url, csrf=False, headers={"X-CSRFToken": token},
                       environ_overrides={"HTTP_HOST": host}, **kwargs)


def test_links_never_come_from_the_host_header(login_as, app, monkeypatch):
    admin = login_as("admin")
    resp = _post_as_host(admin, "evil.example", "/admin/invites",
                         data={"email": "a1@example.com", "role": "viewer"})
    assert resp.status_code == 201 and b"https://growapp.example.org/invite/" in resp.data
    assert b"evil.example" not in resp.data
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", None)
    dev = _post_as_host(admin, "evil.example", "/admin/invites",
                        data={"email": "a2@example.com", "role": "viewer"})
    assert dev.status_code == 409 and b"evil.example" not in dev.data
    local = _post_as_host(admin, "localhost:5000", "/admin/invites",
                          data={"email": "a3@example.com", "role": "viewer"})
    assert local.status_code == 201 and b"http://localhost:5000/invite/" in local.data


def test_production_refuses_links_without_public_base_url(login_as, app, session,
                                                          monkeypatch):
    from growapp.models import Invite

    admin = login_as("admin")
    user = f.make_user(session, "operator")
    session.commit()
    monkeypatch.setitem(app.config, "ENV", "production")
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", None)
    resp = _post_as_host(admin, "evil.example", "/admin/invites",
                         data={"email": "evil1@example.com", "role": "viewer"})
    assert resp.status_code == 409 and b"PUBLIC_BASE_URL is not set" in resp.data
    assert b"evil.example" not in resp.data
    assert session.scalar(select(Invite).where(Invite.email == "evil1@example.com")) is None
    reset = _post_as_host(admin, "evil.example", f"/admin/users/{user.id}/password-reset")
    assert reset.status_code == 409
    mail.install(monkeypatch, app)
    forgot = _post_as_host(app.test_client(), "evil.example", "/forgot-password",
                           data={"email": user.email})
    assert forgot.status_code == 409 and b"PUBLIC_BASE_URL is not set" in forgot.data


# Proxies -----------------------------------------------------------------------------

def _proxied_app(database_url, hops):
    from growapp import create_app
    from tests.helpers.settings import app_settings

    return create_app(app_settings(database_url, TRUSTED_PROXIES=hops, WTF_CSRF_ENABLED=False))


@pytest.mark.parametrize("hops, seen", [(0, "127.0.0.1"), (1, "203.0.113.9")])
def test_forwarded_headers_only_through_trusted_proxies(database_url, hops, seen):
    from sqlalchemy.orm import Session

    from growapp.models import LoginFailure

    app = _proxied_app(database_url, hops)
    email = f"proxy-{hops}@example.com"
    resp = app.test_client().post("/login", data={"email": email, "password": "x"}, headers={
        "X-Forwarded-For": "198.51.100.1, 203.0.113.9", "X-Forwarded-Proto": "https"})
    assert resp.status_code == 422
    assert ("Strict-Transport-Security" in resp.headers) is (hops == 1)
    with Session(app.extensions["growapp_db"].engine) as s:
        assert s.scalar(select(LoginFailure.ip).where(LoginFailure.email == email)) == seen
    app.extensions["growapp_db"].engine.dispose()


def test_trusted_proxies_setting(monkeypatch):
    from growapp.config import ConfigError, build_settings

    monkeypatch.setenv("GROWAPP_TRUSTED_PROXIES", "2")
    assert build_settings()["TRUSTED_PROXIES"] == 2
    monkeypatch.setenv("GROWAPP_TRUSTED_PROXIES", "one")
    with pytest.raises(ConfigError):
        build_settings()


# API tokens end with the account's sign-ins when it may be in other hands -------------

def _api_ok(app, raw) -> bool:
    resp = app.test_client().get("/api/v1/experiments",
                                 headers={"Authorization": f"Bearer {raw}"})
    assert resp.status_code in (200, 401), resp.status_code
    return resp.status_code == 200


def _token_for(session, user, name="script"):
    from growapp.services.users import create_api_token

    _token, raw = create_api_token(session, user=user, name=name)
    session.commit()
    return raw


def test_reset_by_link_revokes_api_tokens(app, session, monkeypatch):
    outbox = mail.install(monkeypatch, app)
    user = f.make_user(session, "operator")
    session.commit()
    raw = _token_for(session, user)
    assert _api_ok(app, raw)
    app.test_client().post("/forgot-password", data={"email": user.email})
    mail.wait_sent(app)
    path = re.search(r"/reset-password/\S+", outbox[0].get_content()).group(0)
    assert app.test_client().post(path, data={"password": "a brand new one",
                                              "confirm": "a brand new one"}).status_code == 303
    assert not _api_ok(app, raw)
    rows = session.scalars(select(AuditLog).where(AuditLog.table_name == "api_tokens",
                                                  AuditLog.action == "update")).all()
    assert rows and rows[-1].user_id == user.id and rows[-1].reason == "password reset"


def test_admin_reset_revokes_api_tokens(app, session, login_as):
    user = f.make_user(session, "operator")
    session.commit()
    raw = _token_for(session, user)
    admin = login_as("admin")
    assert admin.post(f"/admin/users/{user.id}/password-reset").status_code == 200
    assert not _api_ok(app, raw)


def test_sign_out_everywhere_revokes_api_tokens_but_not_others(app, session):
    user = f.make_user(session, "operator")
    other = f.make_user(session, "operator")
    session.commit()
    mine, theirs = _token_for(session, user), _token_for(session, other)
    laptop, _ = _sign_in(app, user)
    resp = laptop.post("/profile/sessions/end-all")
    assert resp.status_code == 303
    assert "and 1 API token revoked" in laptop.get("/login").get_data(as_text=True)
    assert not _api_ok(app, mine) and _api_ok(app, theirs)


def test_password_change_keeps_api_tokens(app, session):
    """A password change is the owner acting (they knew the old password): their scripts
    keep working; a reset or "sign out everywhere" is what ends tokens."""
    user = f.make_user(session, "operator")
    session.commit()
    raw = _token_for(session, user)
    laptop, _ = _sign_in(app, user)
    resp = laptop.post("/profile/password", data={
        "current_password": f.PASSWORD, "password": "another good one", "confirm":
        "another good one"})
    assert resp.status_code == 303, resp.data[:300]
    assert _api_ok(app, raw)
