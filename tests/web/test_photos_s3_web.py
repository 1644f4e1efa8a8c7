"""Photos end to end through the S3 backend (a moto server): the cockpit upload writes to
the bucket, the photo route streams it back, and nothing lands in the local folder."""

import io
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from growapp.models import Photo
from growapp.storage import storage_from_settings
from tests.helpers import factories as f
from tests.helpers import s3
from tests.helpers.images import files_under, jpeg_bytes


@pytest.fixture
def bucket_store(app, monkeypatch, s3_endpoint, s3_bucket):
    store = storage_from_settings({"STORAGE_BACKEND": "s3", "S3_BUCKET": s3_bucket,
                                   "S3_ENDPOINT_URL": s3_endpoint, "S3_REGION": s3.REGION,
                                   "S3_PREFIX": "growapp"})
    monkeypatch.setitem(app.extensions, "growapp_storage", store)
    return store


def test_cockpit_photo_is_stored_in_the_bucket_and_served_from_it(app, login_as, session,
                                                                  bucket_store):
    uploads = Path(app.config["UPLOAD_DIR"])
    before = files_under(uploads) if uploads.exists() else set()
    plant = f.make_plant(session, f.make_experiment(session, status="running"))
    client = login_as("operator")
    resp = client.post(f"/p/{plant.uuid}/photo", data={
        "file": (io.BytesIO(jpeg_bytes()), "IMG_1.jpg"), "week_number": "2"})
    assert resp.status_code == 303, resp.data[:500]
    photo = session.scalar(select(Photo).where(Photo.plant_id == plant.id))
    assert photo.file_path == f"photos/{plant.experiment_id}/{photo.uuid}.jpg"

    listed = bucket_store.client.list_objects_v2(Bucket=bucket_store.bucket)["Contents"]
    assert sorted(o["Key"] for o in listed) == sorted(
        f"growapp/{k}" for k in (photo.file_path, photo.thumb_path))
    assert (files_under(uploads) if uploads.exists() else set()) == before

    for suffix, key, size in (("", photo.file_path, (400, 600)),
                              ("/thumb", photo.thumb_path, (213, 320))):
        got = client.get(f"/photos/{photo.uuid}{suffix}")
        assert got.status_code == 200 and got.mimetype == "image/jpeg"
        assert got.headers["Cache-Control"] == "private, max-age=86400"
        assert got.headers["X-Content-Type-Options"] == "nosniff"
        with bucket_store.open(key) as fh:
            assert got.data == fh.read()
        assert Image.open(io.BytesIO(got.data)).size == size
        again = client.get(f"/photos/{photo.uuid}{suffix}",
                           headers={"If-None-Match": got.headers["ETag"]})
        assert again.status_code == 304 and again.data == b""

    bucket_store.delete(photo.thumb_path)
    assert client.get(f"/photos/{photo.uuid}/thumb").status_code == 404
    assert client.get(f"/photos/{photo.uuid}").status_code == 200
