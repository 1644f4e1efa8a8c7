from sqlalchemy import select

from growapp.models import ApiToken, AuditLog
from tests.helpers import factories as f


def test_admin_changes_a_role(login_as, session):
    client = login_as("admin")
    other = f.make_user(session, "viewer")
    session.commit()
    resp = client.post(f"/admin/users/{other.id}", data={"role": "operator", "active": "1"})
    assert resp.status_code == 303
    session.refresh(other)
    assert other.role == "operator"


def test_admin_cannot_lock_themselves_out(login_as):
    client = login_as("admin")
    resp = client.post(f"/admin/users/{client.user.id}", data={"role": "viewer", "active": "1"})
    assert resp.status_code == 409 and b"another admin" in resp.data


def test_operators_cannot_reach_admin(login_as):
    client = login_as("operator")
    assert client.get("/admin/users").status_code == 403
    assert client.get("/admin/audit").status_code == 403


def test_audit_page_lists_changes(login_as, session):
    client = login_as("admin")
    f.make_experiment(session, name="Seen in audit")
    session.commit()
    html = client.get("/admin/audit").get_data(as_text=True)
    assert "experiments" in html and "Seen in audit" in html
    assert session.scalar(select(AuditLog.id).limit(1))


def test_viewer_creates_and_revokes_a_token(login_as, hx_client, session):
    client = login_as("viewer", client=hx_client)
    resp = client.post("/profile/tokens", data={"name": "notebook"})
    body = resp.get_data(as_text=True)
    assert resp.status_code == 201 and "<html" not in body and "gra_" in body
    token = session.scalar(select(ApiToken).where(ApiToken.user_id == client.user.id))
    bad = client.post("/profile/tokens", data={"name": ""})
    assert bad.status_code == 422
    client.environ_base.pop("HTTP_HX_REQUEST")
    assert client.post(f"/profile/tokens/{token.id}/revoke").status_code == 303
    session.refresh(token)
    assert token.revoked_at is not None


def test_cannot_revoke_someone_elses_token(login_as, api_token):
    _owner, _raw = api_token("operator")
    other = login_as("operator")
    token_id = other.application.extensions["growapp_db"].session_factory().scalar(
        select(ApiToken.id).order_by(ApiToken.id.desc()).limit(1))
    assert other.post(f"/profile/tokens/{token_id}/revoke").status_code == 404


def test_change_password(login_as, session):
    client = login_as("viewer")
    wrong = client.post("/profile/password", data={"current_password": "nope",
                                                   "password": "brand new pass",
                                                   "confirm": "brand new pass"})
    assert wrong.status_code == 422 and b"Not your current password" in wrong.data
    ok = client.post("/profile/password", data={"current_password": f.PASSWORD,
                                                "password": "brand new pass",
                                                "confirm": "brand new pass"})
    assert ok.status_code == 303


def test_health_endpoints(client):
    assert client.get("/healthz").json == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json["database"] is True
    assert ready.json["revision"] == ready.json["head"]
