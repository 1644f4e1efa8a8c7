"""The flask commands, run against their own throwaway database."""

import pytest

from growapp import create_app
from tests.helpers.databases import fresh_database
from tests.helpers.settings import app_settings


@pytest.fixture
def cli_app(tmp_path):
    url, drop = fresh_database("cli")
    app = create_app(app_settings(url, UPLOAD_DIR=str(tmp_path / "uploads")))
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
    status = client.get(f"/api/v1/experiments/{demo['id']}/status/summary",
                        headers={"Authorization": f"Bearer {raw}"}).json
    assert status["counts"]["active_plants"] == 120 and status["counts"]["trays"] == 12
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
