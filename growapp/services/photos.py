"""Plant photos: decoded and re-encoded by Pillow (orientation applied, EXIF and GPS dropped),
stored with a thumbnail in the file store (growapp.storage), listed newest first."""

from __future__ import annotations

import contextlib
import io
import uuid as uuid_mod
from dataclasses import dataclass
from datetime import UTC, datetime

from PIL import ExifTags, Image, ImageOps
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import Photo, User
from ..storage import Storage, check_key
from ..storage.pending import save_with_session
from .errors import Conflict, Invalid, NotFound
from .events import record_event
from .plants import get_plant

MAX_CAPTION = 500
MAX_WEEK = 520
MAX_SIDE = 2560
THUMB_SIDE = 320
JPEG_QUALITY = 85
# Checked on the size the header declares, before any pixel is decoded. Kept here rather
# than in the process-wide Image.MAX_IMAGE_PIXELS so other Pillow users (WeasyPrint) keep
# their own limit.
MAX_PIXELS = 40_000_000
# Only what phones and cameras send (the JPEG opener also returns multi-picture MPO files).
# Untrusted bytes never reach Pillow's other parsers (EPS, for one, runs Ghostscript).
FORMATS = ("JPEG", "PNG", "WEBP")
NOT_A_PHOTO = "That file is not a photo we can read. Send a JPEG, PNG or WebP image."


@dataclass
class _Encoded:
    full: bytes
    thumb: bytes
    width: int
    height: int
    taken_at: datetime | None


class _TooManyPixels(Exception):
    pass


def _fit(size: tuple[int, int], side: int) -> tuple[int, int]:
    scale = side / max(size)
    if scale >= 1:
        return size
    return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))


def _check_pixels(size: tuple[int, int]) -> None:
    if size[0] * size[1] > MAX_PIXELS:
        raise _TooManyPixels


def _taken_at(img: Image.Image) -> datetime | None:
    """EXIF DateTimeOriginal (with OffsetTimeOriginal when present, else read as UTC)."""
    try:
        exif = img.getexif().get_ifd(ExifTags.IFD.Exif)
        raw = exif.get(ExifTags.Base.DateTimeOriginal)
        taken = datetime.strptime(str(raw).strip("\x00 "), "%Y:%m:%d %H:%M:%S")
    except Exception:  # missing or malformed EXIF is common and never fatal
        return None
    zone = UTC
    offset = exif.get(ExifTags.Base.OffsetTimeOriginal)
    if offset:
        with contextlib.suppress(ValueError, TypeError):
            zone = datetime.strptime(str(offset).strip("\x00 "), "%z").tzinfo
    return taken.replace(tzinfo=zone).astimezone(UTC)


def _upright(img: Image.Image) -> Image.Image:
    try:
        return ImageOps.exif_transpose(img)
    except Exception:  # a broken orientation tag should not cost the operator the photo
        return img


def _flatten(img: Image.Image) -> Image.Image:
    """RGB on white: JPEG has no alpha, and a plain convert would turn transparency black."""
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        flat = Image.new("RGB", rgba.size, "white")
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return img.convert("RGB")


def _jpeg(img: Image.Image, icc_profile: bytes | None) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True,
             icc_profile=icc_profile)
    return buf.getvalue()


def _encode(data: bytes) -> _Encoded:
    """Decode untrusted bytes and re-encode them. Raises Invalid {"file": [...]}."""
    if not data:
        raise Invalid(errors={"file": ["That file is empty."]})
    try:
        with Image.open(io.BytesIO(data), formats=FORMATS) as probe:
            _check_pixels(probe.size)
            probe.verify()
        with Image.open(io.BytesIO(data), formats=FORMATS) as img:
            taken_at = _taken_at(img)
            # The colour profile carries no location; keeping it keeps wide-gamut phone
            # photos true. Only valid while the pixels stay RGB.
            icc = img.info.get("icc_profile") if img.mode == "RGB" else None
            img.draft(None, _fit(img.size, MAX_SIDE))  # JPEG: decode at reduced scale
            img.load()
            full = _flatten(_upright(img))
        # convert() copies .info, and the JPEG writer re-emits a source comment from it.
        full.info = {}
        full.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
        thumb = full.copy()
        thumb.thumbnail((THUMB_SIDE, THUMB_SIDE), Image.Resampling.LANCZOS)
        return _Encoded(full=_jpeg(full, icc), thumb=_jpeg(thumb, icc), width=full.width,
                        height=full.height, taken_at=taken_at)
    except (_TooManyPixels, Image.DecompressionBombError) as exc:
        raise Invalid(errors={"file": [
            f"That image is too large to process (over {MAX_PIXELS // 1_000_000} megapixels)."
        ]}) from exc
    except Exception as exc:  # any decoder failure on untrusted bytes means "not a photo"
        raise Invalid(errors={"file": [NOT_A_PHOTO]}) from exc


def _field_errors(caption: str, week_number: int | None) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if len(caption) > MAX_CAPTION:
        errors["caption"] = [f"Keep the caption to {MAX_CAPTION} characters "
                             f"(this one has {len(caption)})."]
    if week_number is not None and (
            isinstance(week_number, bool) or not isinstance(week_number, int)
            or not 0 <= week_number <= MAX_WEEK):
        errors["week_number"] = [f"Use a week from 0 (baseline) to {MAX_WEEK}."]
    return errors


def save_photo(session: Session, *, plant_uuid, data: bytes, filename: str, storage: Storage,
               actor: User | None, caption: str = "", week_number: int | None = None) -> Photo:
    """Store a photo of an active plant plus a thumbnail, and record the event.

    Raises NotFound (no such plant), Conflict (plant removed), Invalid (caption, week_number,
    or a file that is not a readable photo or has too many pixels).
    """
    plant = get_plant(session, plant_uuid)
    if plant.status != "active":
        raise Conflict(f"{plant.plant_code} was removed; it takes no more photos.",
                       {"plant_status": plant.status})
    caption = (caption or "").strip()
    errors = _field_errors(caption, week_number)
    try:
        encoded = _encode(data)
    except Invalid as exc:
        errors.update(exc.errors)
    if errors:
        raise Invalid(errors=errors)

    photo_uuid = uuid_mod.uuid4()
    # The storage key is what the row keeps: relative, the same on every backend.
    key_full = f"photos/{plant.experiment_id}/{photo_uuid}.jpg"
    key_thumb = f"photos/{plant.experiment_id}/{photo_uuid}_thumb.jpg"
    # The files go when the transaction does not commit (a rollback, a concurrent upload
    # with the same Idempotency-Key that won): growapp.storage.pending. An error here
    # removes them at once.
    try:
        for key, blob in ((key_full, encoded.full), (key_thumb, encoded.thumb)):
            save_with_session(session, storage, key, io.BytesIO(blob), content_type="image/jpeg")
        photo = Photo(uuid=photo_uuid, plant_id=plant.id, file_path=key_full,
                      thumb_path=key_thumb, content_type="image/jpeg",
                      size_bytes=len(encoded.full), width=encoded.width, height=encoded.height,
                      taken_at=encoded.taken_at, caption=caption, week_number=week_number,
                      user_id=actor.id if actor else None)
        session.add(photo)
        session.flush()
        week = f" (week {week_number})" if week_number is not None else ""
        record_event(session, kind="plant.photographed", actor=actor,
                     experiment_id=plant.experiment_id, plant_id=plant.id,
                     summary=f"Photo of {plant.plant_code}{week}",
                     payload={"photo_id": photo.id, "photo_uuid": str(photo_uuid),
                              "week_number": week_number, "filename": (filename or "")[:255]})
        session.flush()
    except BaseException:
        for key in (key_full, key_thumb):
            with contextlib.suppress(Exception):  # the original error is the one to report
                storage.delete(key)
        raise
    return photo


def get_photo(session: Session, photo_uuid) -> Photo:
    """Raises NotFound."""
    try:
        key = photo_uuid if isinstance(photo_uuid, uuid_mod.UUID) else uuid_mod.UUID(
            str(photo_uuid))
    except ValueError as exc:
        raise NotFound("No photo has that id.") from exc
    photo = session.scalar(select(Photo).where(Photo.uuid == key))
    if photo is None:
        raise NotFound("No photo has that id.")
    return photo


def photo_key(session: Session, *, photo_uuid, thumb: bool = False) -> tuple[str, Photo]:
    """The storage key of a photo (or its thumbnail) and its row. Whether the object is
    really stored is found out when it is opened (one round trip to the store, not two).

    Raises NotFound (no such photo; its recorded key is not a valid storage key).
    """
    photo = get_photo(session, photo_uuid)
    key = photo.thumb_path if thumb else photo.file_path
    try:
        return check_key(key), photo
    except ValueError as exc:
        raise NotFound("That photo's file is missing.") from exc


def list_photos(session: Session, plant_id: int, limit: int = 12, *,
                offset: int = 0) -> list[Photo]:
    """A plant's photos, newest first."""
    return list(session.scalars(
        select(Photo).where(Photo.plant_id == plant_id)
        .order_by(Photo.created_at.desc(), Photo.id.desc()).limit(limit).offset(offset)))


def count_photos(session: Session, plant_id: int) -> int:
    return session.scalar(select(func.count(Photo.id)).where(Photo.plant_id == plant_id)) or 0
