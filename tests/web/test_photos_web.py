"""Serving stored photos: signed-in only, private caching, never outside UPLOAD_DIR."""

import io
import uuid
from pathlib import Path

import pytest
from PIL import Image

from growapp.services.photos import save_photo
from growapp.storage import LocalStorage
from tests.helpers import factories as f
from tests.helpers.images import jpeg_bytes


@pytest.fixture
def photo(app, session):
    exp = f.make_experiment(session, status="running")
    plant = f.make_plant(session, exp)
    op = f.make_user(session, "operator")
    made = save_photo(session, plant_uuid=plant.uuid, data=jpeg_bytes(), filename="a.jpg",
                      storage=LocalStorage(app.config["UPLOAD_DIR"]), actor=op, week_number=1)
    session.commit()
    return made


@pytest.mark.parametrize("suffix, attr, size", [("", "file_path", (400, 600)),
                                                ("/thumb", "thumb_path", (213, 320))])
def test_signed_in_users_get_the_file(app, login_as, photo, suffix, attr, size):
    client = login_as("viewer")
    resp = client.get(f"/photos/{photo.uuid}{suffix}")
    assert resp.status_code == 200 and resp.mimetype == "image/jpeg"
    assert resp.headers["Cache-Control"] == "private, max-age=86400"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert "Expires" not in resp.headers
    assert resp.data == (Path(app.config["UPLOAD_DIR"]) / getattr(photo, attr)).read_bytes()
    assert Image.open(io.BytesIO(resp.data)).size == size
    again = client.get(f"/photos/{photo.uuid}{suffix}",
                       headers={"If-None-Match": resp.headers["ETag"]})
    assert again.status_code == 304


@pytest.mark.parametrize("suffix", ["", "/thumb"])
def test_anonymous_users_are_sent_to_login(client, photo, suffix):
    resp = client.get(f"/photos/{photo.uuid}{suffix}")
    assert resp.status_code == 302
    assert resp.headers["Location"].startswith("/login")
    assert b"\xff\xd8" not in resp.data


def test_api_tokens_can_fetch_photos(client, api_token, photo):
    _user, raw = api_token("viewer")
    resp = client.get(f"/photos/{photo.uuid}", headers={"Authorization": f"Bearer {raw}"})
    assert resp.status_code == 200 and resp.data[:2] == b"\xff\xd8"


def test_unknown_missing_or_escaping_files_are_404(app, login_as, session, photo):
    client = login_as("viewer")
    assert client.get(f"/photos/{uuid.uuid4()}").status_code == 404
    secret = Path(app.config["UPLOAD_DIR"]).parent / "secret.jpg"
    secret.write_bytes(b"\xff\xd8not yours")
    for bad in ("../secret.jpg", str(secret), "photos/../../secret.jpg"):
        photo.file_path = bad
        session.commit()
        resp = client.get(f"/photos/{photo.uuid}")
        assert resp.status_code == 404 and b"not yours" not in resp.data
    (Path(app.config["UPLOAD_DIR"]) / photo.thumb_path).unlink()
    assert client.get(f"/photos/{photo.uuid}/thumb").status_code == 404
