import re

from sqlalchemy import select

from growapp.models import Invite, LoginFailure, User
from growapp.services.users import create_invite
from tests.helpers import factories as f


def test_login_page_and_sign_in(app, session):
    user = f.make_user(session, "operator")
    session.commit()
    client = app.test_client()
    page = client.get("/login?next=/experiments/new")
    assert page.status_code == 200 and b'name="password"' in page.data
    assert b'autocomplete="current-password"' in page.data
    resp = client.post("/login?next=/experiments/new",
                       data={"email": user.email, "password": f.PASSWORD})
    assert resp.status_code == 303 and resp.headers["Location"] == "/experiments/new"
    assert client.get("/").status_code == 200


def test_wrong_password_is_422_and_counted(app, session):
    user = f.make_user(session, "operator")
    session.commit()
    client = app.test_client()
    resp = client.post("/login", data={"email": user.email, "password": "nope"})
    assert resp.status_code == 422 and b"Wrong email or password" in resp.data
    assert session.scalar(select(LoginFailure).where(LoginFailure.email == user.email))


def test_login_rate_limit_answers_429(app, session):
    user = f.make_user(session, "operator")
    session.commit()
    client = app.test_client()
    for _ in range(5):
        assert client.post("/login", data={"email": user.email, "password": "x"}).status_code == 422
    resp = client.post("/login", data={"email": user.email, "password": f.PASSWORD})
    assert resp.status_code == 429 and b"Too many failed sign-ins" in resp.data


def test_logout_is_a_post(login_as):
    client = login_as("viewer")
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 303
    assert client.get("/").status_code == 302


def test_invite_flow_end_to_end(login_as, session, app):
    admin_client = login_as("admin")
    resp = admin_client.post("/admin/invites", data={"email": "new.grower@example.com",
                                                     "role": "viewer"})
    assert resp.status_code == 201
    link = re.search(rb'value="(https?://[^"]+/invite/[^"]+)"', resp.data).group(1).decode()
    token = link.rsplit("/", 1)[1]
    guest = app.test_client()
    page = guest.get(f"/invite/{token}")
    assert page.status_code == 200 and b"new.grower@example.com" in page.data
    bad = guest.post(f"/invite/{token}", data={"display_name": "Nell", "password": "short",
                                               "confirm": "short"})
    assert bad.status_code == 422 and b"at least 10" in bad.data
    assert session.scalar(select(User).where(User.email == "new.grower@example.com")) is None
    ok = guest.post(f"/invite/{token}", data={"display_name": "Nell",
                                              "password": "a long password",
                                              "confirm": "a long password"})
    assert ok.status_code == 303
    user = session.scalar(select(User).where(User.email == "new.grower@example.com"))
    assert user.role == "viewer"
    assert guest.get("/").status_code == 200  # signed in
    reused = app.test_client().get(f"/invite/{token}")
    assert reused.status_code == 410 and b"already been used" in reused.data


def test_invite_duplicate_email_fragment(login_as, session):
    client = login_as("admin")
    existing = f.make_user(session, "operator")
    session.commit()
    client.environ_base["HTTP_HX_REQUEST"] = "true"
    resp = client.post("/admin/invites", data={"email": existing.email, "role": "viewer"})
    assert resp.status_code == 422
    assert b"<html" not in resp.data and b"already exists" in resp.data
    assert "HX-Request" in resp.headers["Vary"]


def test_expired_and_unknown_invites(app, session):
    admin = f.make_user(session, "admin")
    invite, token = create_invite(session, email="old@example.com", role="viewer", actor=admin,
                                  days=-1)
    session.commit()
    client = app.test_client()
    assert client.get(f"/invite/{token}").status_code == 410
    assert client.get("/invite/not-a-token").status_code == 404
    assert session.get(Invite, invite.id).accepted_at is None
