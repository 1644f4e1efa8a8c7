"""Stored plant photos, served to signed-in users only (the files live outside static/)."""

from __future__ import annotations

from ...extensions import db, file_storage
from ...http.downloads import stored_file_response
from ...services.photos import photo_key
from . import bp

CACHE_CONTROL = "private, max-age=86400"


def _send(photo_uuid, *, thumb: bool):
    key, photo = photo_key(db.session, photo_uuid=photo_uuid, thumb=thumb)
    # A photo never changes under its key (re-encoded once, new uuid per upload), so its
    # ETag needs no read of the store and a revalidation costs no S3 request.
    etag = f"{photo.uuid}-{'thumb' if thumb else photo.size_bytes}"
    return stored_file_response(file_storage(), key, "image/jpeg", etag=etag,
                                cache_control=CACHE_CONTROL)


@bp.get("/photos/<uuid:photo_uuid>")
def photo(photo_uuid):
    return _send(photo_uuid, thumb=False)


@bp.get("/photos/<uuid:photo_uuid>/thumb")
def thumb(photo_uuid):
    return _send(photo_uuid, thumb=True)
