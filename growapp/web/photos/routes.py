"""Stored plant photos, served to signed-in users only (the files live outside static/)."""

from __future__ import annotations

from flask import current_app, send_file

from ...extensions import db
from ...services.photos import photo_path
from . import bp

CACHE_CONTROL = "private, max-age=86400"


def _send(photo_uuid, *, thumb: bool):
    path, _photo = photo_path(db.session, photo_uuid=photo_uuid,
                              upload_dir=current_app.config["UPLOAD_DIR"], thumb=thumb)
    resp = send_file(path, mimetype="image/jpeg", conditional=True, etag=True)
    # send_file would mark it public; a photo is for signed-in users and their browser only.
    resp.headers["Cache-Control"] = CACHE_CONTROL
    resp.headers.pop("Expires", None)
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp


@bp.get("/photos/<uuid:photo_uuid>")
def photo(photo_uuid):
    return _send(photo_uuid, thumb=False)


@bp.get("/photos/<uuid:photo_uuid>/thumb")
def thumb(photo_uuid):
    return _send(photo_uuid, thumb=True)
