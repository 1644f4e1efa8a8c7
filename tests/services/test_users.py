from datetime import timedelta

import pytest
from werkzeug.security import check_password_hash

from growapp.models import utcnow
from growapp.services import signin
from growapp.services import users as svc
from growapp.services.errors import Conflict, Forbidden, Gone, Invalid, NotFound, RateLimited
from tests.helpers import factories as f


def test_passwords_use_a_modern_kdf(session):
    user = svc.create_user(session, email="Grower@Example.com", password="long enough pw",
                           role="operator")
    assert user.email == "grower@example.com"
    assert user.password_hash.startswith("scrypt:")
    assert check_password_hash(user.password_hash, "long enough pw")


def test_duplicate_email_is_refused_case_insensitively(session):
    svc.create_user(session, email="a@example.com", password="long enough pw", role="viewer")
    with pytest.raises(Conflict):
        svc.create_user(session, email="A@EXAMPLE.com", password="long enough pw", role="viewer")


def test_short_password_and_bad_email(session):
    with pytest.raises(Invalid) as err:
        svc.create_user(session, email="a@example.com", password="short", role="viewer")
    assert "password" in err.value.errors
    with pytest.raises(Invalid) as err:
        svc.create_user(session, email="not-an-email", password="long enough pw", role="viewer")
    assert "email" in err.value.errors


def test_authenticate_and_rate_limit(session):
    user = f.make_user(session, "operator")
    assert signin.authenticate(session, email=user.email.upper(), password=f.PASSWORD,
                            ip="1.2.3.4") == user
    assert user.last_login_at is not None
    for _ in range(5):
        with pytest.raises(Invalid):
            signin.authenticate(session, email=user.email, password="wrong", ip="1.2.3.4")
    with pytest.raises(RateLimited):  # even the right password is refused now
        signin.authenticate(session, email=user.email, password=f.PASSWORD, ip="1.2.3.4")
    # another IP is not blocked for this account
    assert signin.authenticate(session, email=user.email, password=f.PASSWORD, ip="5.6.7.8")


def test_unknown_and_inactive_users_cannot_sign_in(session):
    user = f.make_user(session, "operator", active=False)
    with pytest.raises(Invalid):
        signin.authenticate(session, email=user.email, password=f.PASSWORD, ip="9.9.9.9")
    with pytest.raises(Invalid):
        signin.authenticate(session, email="nobody@example.com", password="x", ip="9.9.9.9")


def test_invite_round_trip(session):
    admin = f.make_user(session, "admin")
    invite, token = svc.create_invite(session, email="New@Example.com", role="viewer",
                                      actor=admin)
    assert invite.token_hash != token and len(token) > 30
    user = svc.accept_invite(session, token=token, display_name="Nell", password="a good pw 123",
                             confirm="a good pw 123")
    assert user.role == "viewer" and user.email == "new@example.com"
    with pytest.raises(Gone, match="already been used"):
        svc.find_invite(session, token)


def test_invite_rules(session):
    admin = f.make_user(session, "admin")
    operator = f.make_user(session, "operator")
    with pytest.raises(Forbidden):
        svc.create_invite(session, email="x@example.com", role="viewer", actor=operator)
    with pytest.raises(Invalid):  # already a user
        svc.create_invite(session, email=operator.email, role="viewer", actor=admin)
    invite, token = svc.create_invite(session, email="late@example.com", role="viewer",
                                      actor=admin)
    invite.expires_at = utcnow() - timedelta(minutes=1)
    with pytest.raises(Gone, match="expired"):
        svc.accept_invite(session, token=token, display_name="L", password="a good pw 123",
                          confirm="a good pw 123")
    with pytest.raises(NotFound):
        svc.find_invite(session, "made-up-token")
    invite2, token2 = svc.create_invite(session, email="w@example.com", role="viewer",
                                        actor=admin)
    with pytest.raises(Invalid):  # confirmation differs; nothing written
        svc.accept_invite(session, token=token2, display_name="W", password="a good pw 123",
                          confirm="a good pw 124")
    assert invite2.accepted_at is None
    svc.revoke_invite(session, invite_id=invite2.id, actor=admin)
    with pytest.raises(Gone, match="withdrawn"):
        svc.find_invite(session, token2)


def test_api_tokens(session):
    user = f.make_user(session, "viewer")
    token, raw = svc.create_api_token(session, user=user, name="R notebook")
    assert raw.startswith("gra_") and token.token_hash == svc.hash_token(raw)
    assert svc.user_for_api_token(session, raw) == user
    assert token.last_used_at is not None
    svc.revoke_api_token(session, token_id=token.id, user=user)
    assert svc.user_for_api_token(session, raw) is None
    with pytest.raises(Invalid):
        svc.create_api_token(session, user=user, name=" ")


def test_admin_cannot_demote_self(session):
    admin = f.make_user(session, "admin")
    other = f.make_user(session, "viewer")
    with pytest.raises(Conflict):
        svc.set_user_role(session, user_id=admin.id, role="viewer", active=True, actor=admin)
    svc.set_user_role(session, user_id=other.id, role="operator", active=False, actor=admin)
    assert other.role == "operator" and not other.is_active
