"""Photos: re-encoding (orientation, no EXIF/GPS, size caps), rules, files on disk, paths."""

import io
from datetime import UTC, datetime

import pytest
from PIL import Image
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from growapp.models import Event, Photo
from growapp.services import photos as svc
from growapp.services.errors import Conflict, Invalid, NotFound
from growapp.storage import LocalStorage
from tests.helpers import factories as f
from tests.helpers.images import GPS_IFD, bomb_png, files_under, jpeg_bytes, png_bytes


@pytest.fixture
def op(session):
    return f.make_user(session, "operator")


@pytest.fixture
def plant(session):
    exp = f.make_experiment(session, status="running")
    return f.make_plant(session, exp, code="VFT-001")


def save(session, plant, op, upload_dir, data=None, **kwargs):
    return svc.save_photo(session, plant_uuid=plant.uuid, data=data or jpeg_bytes(),
                          filename="IMG_0001.jpg", storage=LocalStorage(upload_dir), actor=op,
                          **kwargs)


def test_photo_is_rotated_reencoded_and_stripped(session, op, plant, tmp_path):
    source = Image.open(io.BytesIO(jpeg_bytes()))
    assert source.getexif().get_ifd(GPS_IFD)  # the fixture really carries GPS

    photo = save(session, plant, op, tmp_path, caption="  first leaf  ", week_number=3)

    assert photo.file_path == f"photos/{plant.experiment_id}/{photo.uuid}.jpg"
    assert photo.thumb_path == f"photos/{plant.experiment_id}/{photo.uuid}_thumb.jpg"
    assert (photo.width, photo.height) == (400, 600)
    assert photo.caption == "first leaf" and photo.week_number == 3
    assert photo.taken_at == datetime(2024, 5, 1, 10, 30, tzinfo=UTC)
    assert photo.user_id == op.id and photo.content_type == "image/jpeg"
    full_path = tmp_path / photo.file_path
    assert photo.size_bytes == full_path.stat().st_size
    with Image.open(full_path) as stored:
        assert stored.format == "JPEG" and stored.size == (400, 600)
        assert stored.mode == "RGB"
        assert not stored.getexif() and "exif" not in stored.info
        assert not stored.getexif().get_ifd(GPS_IFD)
        assert "comment" not in stored.info and "xmp" not in stored.info
        # Orientation 6 = rotate 90° clockwise: the red left half ends up on top.
        top, bottom = stored.getpixel((200, 100)), stored.getpixel((200, 500))
        assert top[0] > 150 > top[2] and bottom[2] > 150 > bottom[0]
    assert b"Exif" not in full_path.read_bytes() and b"PhoneCo" not in full_path.read_bytes()
    with Image.open(tmp_path / photo.thumb_path) as thumb:
        assert thumb.format == "JPEG" and max(thumb.size) == 320 and thumb.size[1] == 320
        assert not thumb.getexif()
    assert files_under(tmp_path) == {photo.file_path, photo.thumb_path}  # no temp files

    event = session.scalar(select(Event).where(Event.kind == "plant.photographed"))
    assert event.summary == "Photo of VFT-001 (week 3)"
    assert event.plant_id == plant.id and event.experiment_id == plant.experiment_id
    assert event.payload["photo_uuid"] == str(photo.uuid)


def test_taken_at_uses_the_exif_offset_or_none(session, op, plant, tmp_path):
    local = save(session, plant, op, tmp_path, data=jpeg_bytes(offset="+02:00"))
    assert local.taken_at == datetime(2024, 5, 1, 8, 30, tzinfo=UTC)
    bare = save(session, plant, op, tmp_path, data=jpeg_bytes(taken=None, orientation=None))
    assert bare.taken_at is None and (bare.width, bare.height) == (600, 400)
    broken = save(session, plant, op, tmp_path, data=jpeg_bytes(taken="0000:00:00 00:00:00"))
    assert broken.taken_at is None
    event = session.scalars(select(Event).where(Event.plant_id == plant.id)
                          .order_by(Event.id.desc())).first()
    assert event.summary == "Photo of VFT-001"


def test_long_side_is_capped_and_alpha_flattened(session, op, plant, tmp_path):
    wide = save(session, plant, op, tmp_path, data=png_bytes((3000, 1000)))
    assert (wide.width, wide.height) == (2560, 853)
    with Image.open(tmp_path / wide.thumb_path) as thumb:
        assert thumb.size == (320, 107)
    clear = save(session, plant, op, tmp_path, data=png_bytes((50, 40), mode="RGBA"))
    with Image.open(tmp_path / clear.file_path) as stored:
        assert stored.mode == "RGB" and min(stored.getpixel((5, 5))) >= 250
    webp = save(session, plant, op, tmp_path, data=png_bytes((64, 48), fmt="WEBP"))
    assert (webp.width, webp.height) == (64, 48)


@pytest.mark.parametrize("data", [
    b"Shopping list: peat, perlite, distilled water\n",
    b"",
    jpeg_bytes()[:300],  # truncated
    b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n",
], ids=["text", "empty", "truncated", "eps"])
def test_not_a_photo_is_invalid_and_writes_nothing(session, op, plant, tmp_path, data):
    with pytest.raises(Invalid) as exc:
        svc.save_photo(session, plant_uuid=plant.uuid, data=data, filename="notes.jpg",
                       storage=LocalStorage(tmp_path), actor=op)
    assert list(exc.value.errors) == ["file"]
    assert files_under(tmp_path) == set()
    assert session.scalar(select(Photo).where(Photo.plant_id == plant.id)) is None


def test_decompression_bombs_are_refused(session, op, plant, tmp_path, monkeypatch):
    with pytest.raises(Invalid) as exc:
        save(session, plant, op, tmp_path, data=bomb_png())
    assert "too large" in exc.value.errors["file"][0]
    monkeypatch.setattr(svc, "MAX_PIXELS", 600 * 400 - 1)
    with pytest.raises(Invalid) as exc:
        save(session, plant, op, tmp_path)
    assert "too large" in exc.value.errors["file"][0]
    assert files_under(tmp_path) == set()


def test_rules_on_plant_caption_and_week(session, op, plant, tmp_path):
    with pytest.raises(NotFound):
        svc.save_photo(session, plant_uuid="8d8a4a36-0000-4000-8000-000000000000",
                       data=jpeg_bytes(), filename="a.jpg", storage=LocalStorage(tmp_path),
                       actor=op)
    with pytest.raises(Invalid) as exc:
        save(session, plant, op, tmp_path, caption="x" * 501, week_number=521,
             data=b"not an image")
    assert set(exc.value.errors) == {"caption", "week_number", "file"}
    with pytest.raises(Invalid) as exc:
        save(session, plant, op, tmp_path, week_number=-1)
    assert set(exc.value.errors) == {"week_number"}
    assert save(session, plant, op, tmp_path, caption="x" * 500, week_number=520).caption
    plant.status = "removed"
    session.flush()
    with pytest.raises(Conflict, match="VFT-001 was removed") as exc:
        save(session, plant, op, tmp_path)
    assert exc.value.diagnostics == {"plant_status": "removed"}


def test_failed_flush_removes_the_files(session, op, plant, tmp_path, monkeypatch):
    real_flush = session.flush

    def flush(*args, **kwargs):
        if any(isinstance(obj, Photo) for obj in session.new):
            raise IntegrityError("INSERT INTO photos", {}, Exception("disk full"))
        return real_flush(*args, **kwargs)

    monkeypatch.setattr(session, "flush", flush)
    with pytest.raises(IntegrityError):
        save(session, plant, op, tmp_path)
    assert files_under(tmp_path) == set()


def test_photo_key_is_the_relative_key_and_refuses_bad_ones(session, op, plant, tmp_path):
    photo = save(session, plant, op, tmp_path)
    key, row = svc.photo_key(session, photo_uuid=photo.uuid)
    assert row is photo and key == photo.file_path
    assert LocalStorage(tmp_path).path(key) == (tmp_path / photo.file_path).resolve()
    thumb, _ = svc.photo_key(session, photo_uuid=str(photo.uuid), thumb=True)
    assert thumb.endswith("_thumb.jpg")
    with pytest.raises(NotFound):
        svc.photo_key(session, photo_uuid="not-a-uuid")
    for bad in ("../secret.jpg", str(tmp_path / "secret.jpg"), "photos/../../x.jpg", ""):
        photo.file_path = bad
        with pytest.raises(NotFound):
            svc.photo_key(session, photo_uuid=photo.uuid)


def test_a_failed_second_write_removes_the_first(session, op, plant, tmp_path):
    class Flaky(LocalStorage):
        def save(self, key, stream, *, content_type):
            if key.endswith("_thumb.jpg"):
                raise OSError("disk full")
            return super().save(key, stream, content_type=content_type)

    with pytest.raises(OSError, match="disk full"):
        svc.save_photo(session, plant_uuid=plant.uuid, data=jpeg_bytes(), filename="a.jpg",
                       storage=Flaky(tmp_path), actor=op)
    assert files_under(tmp_path) == set()


def test_list_photos_newest_first(session, op, plant, tmp_path):
    made = [save(session, plant, op, tmp_path, week_number=w) for w in range(3)]
    other = f.make_plant(session, f.make_experiment(session))
    save(session, other, op, tmp_path)
    assert [p.id for p in svc.list_photos(session, plant.id)] == [p.id for p in made[::-1]]
    assert [p.id for p in svc.list_photos(session, plant.id, 2, offset=1)] == [
        made[1].id, made[0].id]
    assert svc.count_photos(session, plant.id) == 3


def test_a_rolled_back_upload_leaves_no_files(session, op, plant, tmp_path):
    session.commit()
    save(session, plant, op, tmp_path)
    assert len(files_under(tmp_path)) == 2
    session.rollback()  # e.g. a concurrent upload with the same Idempotency-Key won
    assert files_under(tmp_path) == set()
    kept = save(session, plant, op, tmp_path)
    session.commit()
    session.close()  # ending a committed session deletes nothing
    assert files_under(tmp_path) == {kept.file_path, kept.thumb_path}


def test_a_session_closed_without_commit_leaves_no_files(session, op, plant, tmp_path):
    session.commit()
    save(session, plant, op, tmp_path)
    session.close()
    assert files_under(tmp_path) == set()
