"""prune-files: files no row names, older than an hour, are deleted; the rest stay."""

import io
import os
import time
from datetime import timedelta

from growapp.services import photos as photo_service
from growapp.services.stored_files import prune_files, unreferenced_files
from growapp.storage import LocalStorage
from tests.helpers import factories as f
from tests.helpers.images import files_under, jpeg_bytes


def _age(root, key: str, hours: float) -> None:
    then = time.time() - hours * 3600
    os.utime(root / key, (then, then))


def test_prune_deletes_old_unreferenced_files_only(session, tmp_path):
    store = LocalStorage(tmp_path)
    exp = f.make_experiment(session, status="running")
    plant = f.make_plant(session, exp, code="VFT-001")
    photo = photo_service.save_photo(session, plant_uuid=plant.uuid, data=jpeg_bytes(),
                                     filename="a.jpg", storage=store, actor=None)
    session.commit()
    for key in ("photos/1/orphan.jpg", "labels/old.pdf", "labels/fresh.pdf", "notes/keep.txt"):
        store.save(key, io.BytesIO(b"x"), content_type="application/octet-stream")
    for key in ("photos/1/orphan.jpg", "labels/old.pdf", "notes/keep.txt", photo.file_path,
                photo.thumb_path):
        _age(tmp_path, key, 2)

    assert unreferenced_files(session, storage=store) == ["labels/old.pdf",
                                                          "photos/1/orphan.jpg"]
    assert prune_files(session, storage=store, dry_run=True) == ["labels/old.pdf",
                                                                 "photos/1/orphan.jpg"]
    assert len(files_under(tmp_path)) == 6
    prune_files(session, storage=store)
    assert files_under(tmp_path) == {photo.file_path, photo.thumb_path, "labels/fresh.pdf",
                                     "notes/keep.txt"}
    assert prune_files(session, storage=store, min_age=timedelta(0)) == ["labels/fresh.pdf"]


def test_prune_on_s3(session, s3_endpoint, s3_bucket):
    from growapp.storage.s3 import S3Storage

    store = S3Storage(s3_bucket, endpoint_url=s3_endpoint, prefix="app")
    store.save("photos/9/orphan.jpg", io.BytesIO(b"x"), content_type="image/jpeg")
    assert [k for k, _ in store.list("photos/")] == ["photos/9/orphan.jpg"]
    assert prune_files(session, storage=store) == []  # younger than an hour
    assert prune_files(session, storage=store, min_age=timedelta(0)) == ["photos/9/orphan.jpg"]
    assert not store.exists("photos/9/orphan.jpg")
