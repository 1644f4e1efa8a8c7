"""POST/GET /api/v1/plants/<uuid>/photos: shapes, errors, idempotency, size limit."""

import io
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from growapp.models import Photo
from tests.helpers import factories as f
from tests.helpers.images import bomb_png, files_under, jpeg_bytes

FIELDS = {"id", "uuid", "plant_uuid", "caption", "week_number", "taken_at", "size_bytes",
          "width", "height", "url", "thumb_url", "created_at"}


@pytest.fixture
def op(api_token):
    _user, raw = api_token("operator")
    return {"Authorization": f"Bearer {raw}"}


@pytest.fixture
def plant(session):
    exp = f.make_experiment(session, status="running")
    made = f.make_plant(session, exp, code="VFT-001")
    session.commit()
    return made


@pytest.fixture
def uploads(app):
    return Path(app.config["UPLOAD_DIR"])


def upload(data=None, name="leaf.jpg", **fields):
    return {"file": (io.BytesIO(jpeg_bytes() if data is None else data), name), **fields}


def photo_count(session, plant) -> int:
    return session.scalar(select(func.count(Photo.id)).where(Photo.plant_id == plant.id))


def test_upload_returns_the_photo(client, op, plant, session):
    resp = client.post(f"/api/v1/plants/{plant.uuid}/photos", headers=op,
                       data=upload(caption="New trap", week_number="2"))
    assert resp.status_code == 201, resp.json
    body = resp.json
    assert set(body) == FIELDS
    assert body["plant_uuid"] == str(plant.uuid) and body["caption"] == "New trap"
    assert body["week_number"] == 2 and (body["width"], body["height"]) == (400, 600)
    assert body["taken_at"].startswith("2024-05-01T10:30:00")
    assert body["url"] == f"/photos/{body['uuid']}"
    assert body["thumb_url"] == f"/photos/{body['uuid']}/thumb"
    image = client.get(body["url"], headers=op)
    assert image.status_code == 200 and len(image.data) == body["size_bytes"]
    assert not Image.open(io.BytesIO(image.data)).getexif()

    second = client.post(f"/api/v1/plants/{plant.uuid}/photos", headers=op, data=upload()).json
    listed = client.get(f"/api/v1/plants/{plant.uuid}/photos?limit=1", headers=op)
    assert listed.status_code == 200
    assert listed.json["count"] == 2 and listed.json["meta"] == {"limit": 1, "offset": 0}
    assert [p["uuid"] for p in listed.json["results"]] == [second["uuid"]]  # newest first
    assert set(listed.json["results"][0]) == FIELDS


@pytest.mark.parametrize("data, field", [
    ({}, "file"),
    ({"file": (io.BytesIO(b"peat 2 parts, perlite 1 part\n"), "mix.jpg")}, "file"),
    (upload(bomb_png(), name="bomb.png"), "file"),
    (upload(caption="x" * 501), "caption"),
    (upload(week_number="three"), "week_number"),
    (upload(week_number="521"), "week_number"),
], ids=["missing", "text-as-jpg", "bomb", "caption-501", "week-not-int", "week-too-big"])
def test_invalid_uploads_are_422_and_write_nothing(client, op, plant, session, uploads,
                                                   data, field):
    before = files_under(uploads)
    resp = client.post(f"/api/v1/plants/{plant.uuid}/photos", headers=op, data=data)
    assert resp.status_code == 422, resp.json
    assert field in resp.json["errors"] and resp.json["detail"]
    assert photo_count(session, plant) == 0 and files_under(uploads) == before


def test_removed_or_unknown_plant(client, op, plant, session):
    plant.status = "removed"
    session.commit()
    resp = client.post(f"/api/v1/plants/{plant.uuid}/photos", headers=op, data=upload())
    assert resp.status_code == 409
    assert resp.json["detail"].startswith("VFT-001 was removed")
    assert resp.json["diagnostics"] == {"plant_status": "removed"}
    missing = "00000000-0000-4000-8000-000000000000"
    assert client.post(f"/api/v1/plants/{missing}/photos", headers=op,
                       data=upload()).status_code == 404
    assert client.get(f"/api/v1/plants/{missing}/photos", headers=op).status_code == 404


def test_idempotent_retry_replays_and_writes_once(client, op, plant, session, uploads):
    # A real retry resends the same bytes, multipart boundary included.
    boundary, body = encode_multipart(
        {"file": FileStorage(io.BytesIO(jpeg_bytes()), "leaf.jpg", content_type="image/jpeg")},
        boundary="growapp-test-boundary")
    headers = {**op, "Idempotency-Key": "photo-vft-001-week-1",
               "Content-Type": f"multipart/form-data; boundary={boundary}"}
    url = f"/api/v1/plants/{plant.uuid}/photos"
    before = files_under(uploads)
    first = client.post(url, headers=headers, data=body)
    again = client.post(url, headers=headers, data=body)
    assert first.status_code == again.status_code == 201
    assert again.json == first.json and again.headers["Idempotent-Replayed"] == "true"
    assert photo_count(session, plant) == 1
    assert len(files_under(uploads) - before) == 2  # the photo and its thumbnail


def test_a_used_key_with_a_different_photo_is_refused(client, op, plant, session):
    url = f"/api/v1/plants/{plant.uuid}/photos"
    headers = {**op, "Idempotency-Key": "photo-vft-001-week-2"}
    assert client.post(url, headers=headers, data=upload()).status_code == 201
    other = client.post(url, headers=headers, data=upload(jpeg_bytes(orientation=None)))
    assert other.status_code == 422 and "Idempotency-Key" in other.json["errors"]


def test_session_users_upload_with_the_csrf_header(login_as, plant, session):
    client = login_as("operator")
    resp = client.post(f"/api/v1/plants/{plant.uuid}/photos", data=upload(caption="wk 0"))
    assert resp.status_code == 201 and resp.json["caption"] == "wk 0"
    refused = client.post(f"/api/v1/plants/{plant.uuid}/photos", data=upload(), csrf=False)
    assert refused.status_code == 400 and refused.json["code"] == "csrf_failed"
    assert photo_count(session, plant) == 1


def test_oversized_body_is_413(app, client, op, plant, session, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 4096)
    resp = client.post(f"/api/v1/plants/{plant.uuid}/photos", headers=op,
                       data=upload(b"\xff\xd8" + b"x" * 8192))
    assert resp.status_code == 413
    assert resp.json["code"] == "request_too_large" and resp.json["detail"]
    assert photo_count(session, plant) == 0


def test_viewers_cannot_upload(client, api_token, plant):
    _user, raw = api_token("viewer")
    resp = client.post(f"/api/v1/plants/{plant.uuid}/photos", data=upload(),
                       headers={"Authorization": f"Bearer {raw}"})
    assert resp.status_code == 403
