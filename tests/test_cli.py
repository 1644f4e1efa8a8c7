"""The flask commands, run against their own throwaway database."""

import pytest

from growapp import create_app
from tests.helpers.databases import fresh_database
from tests.helpers.settings import app_settings


@pytest.fixture
def cli_app(tmp_path):
    url, drop = fresh_database("cli")
    app = create_app(app_settings(url, AUDIT_CHECKPOINT_FILE=str(tmp_path / "checkpoints"),
                                  UPLOAD_DIR=str(tmp_path / "uploads")))
    yield app
    app.extensions["growapp_db"].engine.dispose()
    drop()


def run(app, *args, input=None):
    result = app.test_cli_runner().invoke(args=list(args), input=input)
    return result


def test_create_admin_token_and_seed_demo(cli_app):
    out = run(cli_app, "create-admin", "--email", "Boss@Example.com", "--password",
              "a long password")
    assert out.exit_code == 0, out.output
    dup = run(cli_app, "create-admin", "--email", "boss@example.com", "--password",
              "a long password")
    assert dup.exit_code == 1 and "already exists" in dup.output
    token = run(cli_app, "create-token", "--email", "boss@example.com", "--name", "ci")
    assert token.exit_code == 0 and token.output.strip().startswith("gra_")
    raw = token.output.strip()
    client = cli_app.test_client()
    resp = client.get("/api/v1/experiments", headers={"Authorization": f"Bearer {raw}"})
    assert resp.status_code == 200
    missing = run(cli_app, "create-token", "--email", "nobody@example.com", "--name", "x")
    assert missing.exit_code == 1
    seeded = run(cli_app, "seed-demo")
    assert seeded.exit_code == 0 and "admin@example.com" in seeded.output
    again = run(cli_app, "seed-demo")
    assert "already present" in again.output
    summary = client.get("/api/v1/experiments", headers={"Authorization": f"Bearer {raw}"}).json
    demo = summary["results"][0]
    assert demo["status"] == "running"
    # 120 planted, one removed, one replaced (121 plants, 119 active)
    status = client.get(f"/api/v1/experiments/{demo['id']}/status/summary",
                        headers={"Authorization": f"Bearer {raw}"}).json
    assert status["counts"]["active_plants"] == 119 and status["counts"]["trays"] == 12
    verified = run(cli_app, "audit", "verify")
    assert verified.exit_code == 0 and "intact" in verified.output


def test_prune_files_deletes_old_orphans(cli_app):
    import io
    import os
    import time

    store = cli_app.extensions["growapp_storage"]
    store.save("photos/1/orphan.jpg", io.BytesIO(b"x"), content_type="image/jpeg")
    store.save("photos/1/fresh.jpg", io.BytesIO(b"x"), content_type="image/jpeg")
    old = time.time() - 7200
    os.utime(store.path("photos/1/orphan.jpg"), (old, old))
    listed = run(cli_app, "prune-files", "--dry-run")
    assert listed.exit_code == 0 and "photos/1/orphan.jpg" in listed.output
    assert "1 unreferenced file would be deleted." in listed.output
    assert store.exists("photos/1/orphan.jpg")
    pruned = run(cli_app, "prune-files")
    assert pruned.exit_code == 0 and "1 unreferenced file deleted." in pruned.output
    assert not store.exists("photos/1/orphan.jpg") and store.exists("photos/1/fresh.jpg")


def test_audit_verify_fails_on_tampering(cli_app):
    run(cli_app, "create-admin", "--email", "a@example.com", "--password", "a long password")
    engine = cli_app.extensions["growapp_db"].engine
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE audit_log SET ip = '6.6.6.6'")
    out = run(cli_app, "audit", "verify")
    assert out.exit_code == 1 and "broken" in out.output


def _admin(app, email="a@example.com"):
    out = run(app, "create-admin", "--email", email, "--password", "a long password")
    assert out.exit_code == 0, out.output


@pytest.mark.parametrize("attack, says", [
    ("DELETE FROM audit_log WHERE id > (SELECT MAX(id) - 2 FROM audit_log)", "tail was cut"),
    ("DELETE FROM audit_log", "emptied"),
])
def test_audit_verify_reports_deletions_after_a_checkpoint(cli_app, tmp_path, attack, says):
    _admin(cli_app)
    _admin(cli_app, "b@example.com")
    made = run(cli_app, "audit", "checkpoint")
    assert made.exit_code == 0, made.output
    line = made.stdout.strip().splitlines()[0]
    assert '"sig":' in line and (tmp_path / "checkpoints").read_text().strip() == line
    assert "1 checkpoint(s) reached" in run(cli_app, "audit", "verify").output
    _admin(cli_app, "c@example.com")
    engine = cli_app.extensions["growapp_db"].engine
    with engine.begin() as conn:
        conn.exec_driver_sql(attack)
    out = run(cli_app, "audit", "verify")
    assert out.exit_code == 1 and says in out.output, out.output
    # The admin's own copy of the line works too, even when the file is gone.
    (tmp_path / "checkpoints").unlink()
    assert run(cli_app, "audit", "verify").exit_code == 0  # nothing to compare with
    out = run(cli_app, "audit", "verify", "--checkpoint", line)
    assert out.exit_code == 1 and says in out.output


def test_audit_verify_reports_a_re_hashed_rewrite(cli_app):
    from sqlalchemy import select, update
    from sqlalchemy.orm import Session

    from growapp.models import AuditLog
    from growapp.services import audit
    from tests.helpers.settings import AUDIT_KEY

    _admin(cli_app)
    assert run(cli_app, "audit", "checkpoint").exit_code == 0
    engine = cli_app.extensions["growapp_db"].engine
    with Session(engine) as s:  # an insider with the key rewrites history and re-hashes it
        prev = audit.GENESIS
        for r in s.scalars(select(AuditLog).order_by(AuditLog.id)).all():
            body = {k: getattr(r, k) for k in audit.FIELDS}
            body["ip"] = "6.6.6.6"
            new = audit.row_hash(prev, body, r.hash_version, AUDIT_KEY.encode())
            s.execute(update(AuditLog).where(AuditLog.id == r.id).values(
                ip="6.6.6.6", prev_hash=prev, hash=new))
            prev = new
        s.commit()
    out = run(cli_app, "audit", "verify")
    assert out.exit_code == 1 and "rewritten" in out.output, out.output


def test_no_checkpoint_of_a_tampered_chain(cli_app, tmp_path):
    _admin(cli_app)
    with cli_app.extensions["growapp_db"].engine.begin() as conn:
        conn.exec_driver_sql("UPDATE audit_log SET reason = 'forged'")
    out = run(cli_app, "audit", "checkpoint")
    assert out.exit_code == 1 and "broken" in out.output
    assert not (tmp_path / "checkpoints").exists()


def test_production_requires_an_audit_key(monkeypatch):
    from growapp.config import ConfigError

    monkeypatch.setenv("GROWAPP_ENV", "production")
    monkeypatch.setenv("GROWAPP_SECRET_KEY", "s" * 40)
    monkeypatch.delenv("GROWAPP_AUDIT_KEY", raising=False)
    with pytest.raises(ConfigError, match="GROWAPP_AUDIT_KEY"):
        create_app({"DATABASE_URL": "sqlite://"})
    monkeypatch.setenv("GROWAPP_AUDIT_KEY", "short")
    with pytest.raises(ConfigError, match="at least 32"):
        create_app({"DATABASE_URL": "sqlite://"})
