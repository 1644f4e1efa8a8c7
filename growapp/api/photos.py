"""Plant photos: multipart upload (re-encoded by the service) and the list, newest first."""

from __future__ import annotations

from datetime import datetime

from flask import request, url_for
from flask_login import current_user
from pydantic import BaseModel
from sqlalchemy.orm import Session

from ..extensions import file_storage
from ..models import Photo
from ..services import photos as photo_service
from ..services.errors import Invalid
from ..services.plants import get_plant
from .framework import endpoint, envelope
from .schemas import Page

TAG = "Photos"


class PhotoOut(BaseModel):
    id: int
    uuid: str
    plant_uuid: str
    caption: str
    week_number: int | None
    taken_at: datetime | None
    size_bytes: int
    width: int | None
    height: int | None
    url: str
    thumb_url: str
    created_at: datetime


def photo_out(photo: Photo, plant_uuid) -> dict:
    return {
        "id": photo.id, "uuid": str(photo.uuid), "plant_uuid": str(plant_uuid),
        "caption": photo.caption, "week_number": photo.week_number,
        "taken_at": photo.taken_at.isoformat() if photo.taken_at else None,
        "size_bytes": photo.size_bytes, "width": photo.width, "height": photo.height,
        "url": url_for("photos.photo", photo_uuid=photo.uuid),
        "thumb_url": url_for("photos.thumb", photo_uuid=photo.uuid),
        "created_at": photo.created_at.isoformat(),
    }


def _week_number(raw: str | None) -> int | None:
    if raw is None or not raw.strip():
        return None
    try:
        return int(raw.strip())
    except ValueError as exc:
        raise Invalid(errors={"week_number": ["Use a whole number of weeks (0 = baseline)."]}
                      ) from exc


@endpoint("/plants/<uuid:plant_uuid>/photos", "POST", tag=TAG,
          summary="Upload a photo (multipart `file`, `caption?`, `week_number?`); re-encoded "
                  "as JPEG with orientation applied and EXIF/GPS removed",
          response=PhotoOut, status=201, idempotent=True, errors=(404, 409, 413, 422),
          multipart={"type": "object", "required": ["file"], "properties": {
              "file": {"type": "string", "format": "binary"},
              "caption": {"type": "string", "maxLength": 500},
              "week_number": {"type": "integer", "minimum": 0, "maximum": 520}}})
def create_photo(session: Session, plant_uuid):
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise Invalid("Send the photo as multipart form field 'file'.",
                      {"file": ["No file was sent."]})
    photo = photo_service.save_photo(
        session, plant_uuid=plant_uuid, data=upload.read(), filename=upload.filename,
        storage=file_storage(), actor=current_user,
        caption=request.form.get("caption", ""),
        week_number=_week_number(request.form.get("week_number")))
    return photo_out(photo, plant_uuid)


@endpoint("/plants/<uuid:plant_uuid>/photos", "GET", summary="A plant's photos, newest first",
          tag=TAG, query=Page, response=PhotoOut, many=True, errors=(404,))
def list_photos(session: Session, plant_uuid, query: Page):
    plant = get_plant(session, plant_uuid)
    photos = photo_service.list_photos(session, plant.id, query.limit, offset=query.offset)
    return envelope([photo_out(p, plant.uuid) for p in photos],
                    count=photo_service.count_photos(session, plant.id), limit=query.limit,
                    offset=query.offset)
