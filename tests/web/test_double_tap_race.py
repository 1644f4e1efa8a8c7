"""A double tap whose two posts arrive at the same moment logs one feeding, and both taps
get an answer. Real commits in a throwaway database: on SQLite BEGIN IMMEDIATE queues the
second post behind the first; on PostgreSQL the second insert of the idempotency record
waits on the unique key, fails when the first commits, and replays the first answer."""

from __future__ import annotations

import threading
import uuid

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from growapp import create_app
from growapp.models import FeedingLog, IdempotencyRecord, Plant
from growapp.services.presets import ensure_presets
from tests.helpers import factories as f
from tests.helpers.databases import fresh_database
from tests.helpers.settings import app_settings


@pytest.fixture(scope="module")
def race_app(tmp_path_factory):
    url, drop = fresh_database("tap")
    app = create_app(app_settings(url, WTF_CSRF_ENABLED=False,
                                  UPLOAD_DIR=str(tmp_path_factory.mktemp("uploads"))))
    yield app
    app.extensions["growapp_db"].engine.dispose()
    drop()


def _scenario(app) -> tuple[str, int]:
    with Session(app.extensions["growapp_db"].engine) as s:
        ensure_presets(s)
        _exp, _trays, plants, _recipe = f.make_running_experiment(s, plants=1)
        user = f.make_user(s, "operator")
        token = f.sign_in_token(s, user)
        s.commit()
        return str(plants[0].uuid), token


@pytest.mark.parametrize("round_", range(3))
def test_two_posts_with_one_key_log_once(race_app, round_):
    plant_uuid, token = _scenario(race_app)
    key = f"tap-{round_}-{plant_uuid}"
    barrier = threading.Barrier(2, timeout=20)
    answers: list[tuple[int, str]] = []

    def tap() -> None:
        client = race_app.test_client()
        with client.session_transaction() as sess:
            sess["_user_id"] = token
            sess["_fresh"] = True
        barrier.wait()
        resp = client.post(f"/p/{plant_uuid}/feed", data={"idempotency_key": key},
                           headers={"HX-Request": "true"})
        answers.append((resp.status_code, resp.get_data(as_text=True)))

    threads = [threading.Thread(target=tap) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert [status for status, _body in answers] == [200, 200]
    assert answers[0][1] == answers[1][1]  # the second tap sees the first one's answer
    with Session(race_app.extensions["growapp_db"].engine) as s:
        fed = s.scalar(select(func.count(FeedingLog.id)).join(Plant)
                       .where(Plant.uuid == uuid.UUID(plant_uuid)))
        assert fed == 1
        assert s.scalar(select(func.count(IdempotencyRecord.id))
                        .where(IdempotencyRecord.key == key)) == 1
