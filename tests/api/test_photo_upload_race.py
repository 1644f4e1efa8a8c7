"""Concurrent uploads with one Idempotency-Key store one photo and its two files, nothing
more. Real commits in a throwaway database: on PostgreSQL the losers' idempotency inserts
wait on the unique key, fail when the winner commits and replay its answer — their
transactions roll back, and so must the files they wrote."""

from __future__ import annotations

import io
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from growapp import create_app
from growapp.models import Photo
from growapp.services.presets import ensure_presets
from growapp.services.users import create_api_token
from tests.helpers import factories as f
from tests.helpers.databases import fresh_database
from tests.helpers.images import files_under, jpeg_bytes
from tests.helpers.settings import app_settings

UPLOADS = 8


@pytest.fixture(scope="module")
def race_app(tmp_path_factory):
    url, drop = fresh_database("photorace")
    app = create_app(app_settings(url, UPLOAD_DIR=str(tmp_path_factory.mktemp("uploads"))))
    yield app
    app.extensions["growapp_db"].engine.dispose()
    drop()


def test_one_key_many_uploads_leave_one_photo_and_two_files(race_app):
    with Session(race_app.extensions["growapp_db"].engine) as s:
        ensure_presets(s)
        exp = f.make_experiment(s, status="running")
        plant = f.make_plant(s, exp, code="VFT-001")
        user = f.make_user(s, "operator")
        _token, raw = create_api_token(s, user=user, name="race")
        s.commit()
        plant_uuid = str(plant.uuid)
    data = jpeg_bytes()
    barrier = threading.Barrier(UPLOADS, timeout=30)
    answers: list[tuple[int, str]] = []

    def upload() -> None:
        client = race_app.test_client()
        barrier.wait()
        resp = client.post(f"/api/v1/plants/{plant_uuid}/photos",
                           headers={"Authorization": f"Bearer {raw}",
                                    "Idempotency-Key": "one-photo"},
                           data={"file": (io.BytesIO(data), "leaf.jpg")})
        answers.append((resp.status_code, resp.get_data(as_text=True)))

    threads = [threading.Thread(target=upload) for _ in range(UPLOADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert [status for status, _ in answers] == [201] * UPLOADS, answers
    assert len({body for _, body in answers}) == 1  # every retry got the winner's answer
    with Session(race_app.extensions["growapp_db"].engine) as s:
        photos = list(s.scalars(select(Photo)))
        assert s.scalar(select(func.count(Photo.id))) == 1
        kept = {photos[0].file_path, photos[0].thumb_path}
    assert files_under(Path(race_app.config["UPLOAD_DIR"])) == kept
