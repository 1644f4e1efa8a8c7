"""`flask backup` / `flask restore` round trip on the configured engine: one archive holds
the database and every uploaded file; restoring it into a fresh instance (another database,
another file store — a folder or an S3 bucket) gives the same rows, an intact audit chain
and every photo served. A non-empty PostgreSQL database is refused unless --replace; a
safety archive of the current state (WAL rows included on SQLite) is written first."""

from __future__ import annotations

import io
import os
import tarfile
import uuid

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from growapp import create_app
from growapp.backups import table_counts
from growapp.models import Photo, Plant, User
from growapp.services.demo import seed_demo
from growapp.services.users import create_api_token
from tests.helpers import s3
from tests.helpers.databases import fresh_database
from tests.helpers.images import jpeg_bytes
from tests.helpers.settings import app_settings

POSTGRES = os.environ.get("TEST_DATABASE_URL", "").strip().startswith("postgresql")


def run(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def empty_database(label: str) -> tuple[str, callable]:
    """A database with nothing in it (not even migrations): what a fresh machine has."""
    base = os.environ.get("TEST_DATABASE_URL", "").strip()
    if not POSTGRES:
        path = f"{os.environ.get('TMPDIR', '/tmp')}/growapp-{label}-{uuid.uuid4().hex[:8]}.db"

        def drop() -> None:
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(path + suffix):
                    os.unlink(path + suffix)
        return f"sqlite:///{path}", drop
    server = make_url(base)
    name = f"{server.database or 'growapp'}_{label}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return server.set(database=name).render_as_string(hide_password=False), drop


@pytest.fixture
def source(tmp_path):
    """An instance with the demo trial, three photos and an API token."""
    url, drop = fresh_database("bksrc")
    app = create_app(app_settings(url, UPLOAD_DIR=str(tmp_path / "uploads-src")))
    with Session(app.extensions["growapp_db"].engine) as s:
        admin, experiment, _ = seed_demo(s)
        _token, raw = create_api_token(s, user=admin, name="backup")
        plants = list(s.scalars(select(Plant.uuid).where(
            Plant.experiment_id == experiment.id).limit(3)))
        s.commit()
    client = app.test_client()
    auth = {"Authorization": f"Bearer {raw}"}
    for n, plant_uuid in enumerate(plants):
        resp = client.post(f"/api/v1/plants/{plant_uuid}/photos", headers=auth,
                           data={"file": (io.BytesIO(jpeg_bytes(size=(300 + n, 200))),
                                          f"{n}.jpg")})
        assert resp.status_code == 201, resp.json
    app.auth = auth
    yield app
    app.extensions["growapp_db"].engine.dispose()
    drop()


def _rows(url: str) -> dict:
    engine = create_engine(url)
    try:
        with Session(engine) as s:
            return {
                "users": sorted(s.scalars(select(User.email))),
                "plants": sorted(s.execute(select(Plant.uuid, Plant.plant_code,
                                                  Plant.status)).all()),
                "photos": sorted(s.execute(select(Photo.uuid, Photo.file_path,
                                                  Photo.size_bytes)).all()),
            }
    finally:
        engine.dispose()


def _photos(app) -> dict[str, bytes]:
    """Every photo and thumbnail as the app serves them."""
    client = app.test_client()
    with Session(app.extensions["growapp_db"].engine) as s:
        uuids = list(s.scalars(select(Photo.uuid)))
    served = {}
    for photo_uuid in uuids:
        for suffix in ("", "/thumb"):
            resp = client.get(f"/photos/{photo_uuid}{suffix}", headers=app.auth)
            assert resp.status_code == 200, (photo_uuid, suffix, resp.status_code)
            served[f"{photo_uuid}{suffix}"] = resp.data
    return served


@pytest.mark.parametrize("store", ["local", "s3"])
def test_round_trip_into_a_fresh_instance(source, tmp_path, store, request):
    archive = tmp_path / "growapp-backup.tar"
    out = run(source, "backup", str(archive))
    assert out.exit_code == 0, out.output
    with tarfile.open(archive) as tar:
        names = tar.getnames()
    assert "manifest.json" in names
    assert sum(n.startswith("files/photos/") for n in names) == 6  # 3 photos + thumbnails

    url, drop = empty_database("bkdst")
    extra = {"UPLOAD_DIR": str(tmp_path / "uploads-dst")}
    if store == "s3":
        endpoint = request.getfixturevalue("s3_endpoint")
        extra = {"STORAGE_BACKEND": "s3", "S3_BUCKET": s3.new_bucket(endpoint),
                 "S3_ENDPOINT_URL": endpoint, "S3_REGION": s3.REGION}
    target = create_app(app_settings(url, **extra))
    try:
        restored = run(target, "restore", str(archive), "--yes",
                       "--safety-dir", str(tmp_path / "safety"))
        assert restored.exit_code == 0, restored.output
        assert not (tmp_path / "safety").exists()  # nothing was there to keep
        src_url = source.config["DATABASE_URL"]
        assert table_counts(url) == table_counts(src_url)
        assert _rows(url) == _rows(src_url)
        verified = run(target, "audit", "verify")
        assert verified.exit_code == 0 and "intact" in verified.output, verified.output
        target.auth = source.auth
        assert _photos(target) == _photos(source)
    finally:
        target.extensions["growapp_db"].engine.dispose()
        drop()


def test_restore_over_a_live_database_keeps_a_safety_archive(source, tmp_path):
    archive = tmp_path / "backup.tar"
    assert run(source, "backup", str(archive)).exit_code == 0
    before = _rows(source.config["DATABASE_URL"])
    # Rows written after the backup, still in the WAL on SQLite (the pool keeps it open).
    with Session(source.extensions["growapp_db"].engine) as s:
        s.add(User(email="after-backup@example.com", display_name="Late", password_hash="x",
                   role="viewer"))
        s.commit()

    safety = tmp_path / "safety"
    if POSTGRES:
        refused = run(source, "restore", str(archive), "--yes", "--safety-dir", str(safety))
        assert refused.exit_code == 1 and "not empty" in refused.output
        assert "after-backup@example.com" in _rows(source.config["DATABASE_URL"])["users"]
        args = ("--replace",)
    else:
        args = ()
    restored = run(source, "restore", str(archive), "--yes", "--safety-dir", str(safety),
                   *args)
    assert restored.exit_code == 0, restored.output
    assert _rows(source.config["DATABASE_URL"]) == before
    [kept] = list(safety.iterdir())
    assert str(kept) in restored.output
    # The safety archive is a backup of its own: restoring it brings the late row back.
    back = run(source, "restore", str(kept), "--yes", "--safety-dir", str(safety), *args)
    assert back.exit_code == 0, back.output
    assert "after-backup@example.com" in _rows(source.config["DATABASE_URL"])["users"]
    assert run(source, "audit", "verify").exit_code == 0


def test_restore_refuses_what_is_not_a_backup(source, tmp_path):
    bogus = tmp_path / "bogus.tar"
    bogus.write_bytes(b"not an archive at all")
    out = run(source, "restore", str(bogus), "--yes")
    assert out.exit_code == 1 and "not a growapp backup" in out.output
    evil = tmp_path / "evil.tar"
    archive = tmp_path / "good.tar"
    assert run(source, "backup", str(archive)).exit_code == 0
    with tarfile.open(archive) as good, tarfile.open(evil, "w") as tar:
        for member in good:
            tar.addfile(member, good.extractfile(member))
        info = tarfile.TarInfo("files/../../escape.jpg")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"x"))
    out = run(source, "restore", str(evil), "--yes", "--replace")
    assert out.exit_code == 1 and "bad name" in out.output
