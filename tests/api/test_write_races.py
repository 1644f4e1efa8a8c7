"""Storms of concurrent writes with real commits in a throwaway database (issue 12, items
5, 6, 7): If-Match lets exactly one of N stale-free PATCHes win; auto-place racing manual
placement, adverse events, notes and photos never deadlock; tray swaps racing each other
get 409 with a sentence. On PostgreSQL every writer takes the writers' lock before its
first row lock, so no lock cycle can form; on SQLite BEGIN IMMEDIATE queues the writers.
No 5xx anywhere. Every storm is bounded: a fixed number of threads, barrier and join
timeouts."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from growapp import create_app
from growapp.models import Experiment, TrayPlant
from growapp.services.presets import ensure_presets
from growapp.services.users import create_api_token
from tests.helpers import factories as f
from tests.helpers.concurrency import storm
from tests.helpers.databases import fresh_database
from tests.helpers.images import jpeg_bytes
from tests.helpers.settings import app_settings


@pytest.fixture(scope="module")
def race_app(tmp_path_factory):
    url, drop = fresh_database("storm")
    app = create_app(app_settings(url, WTF_CSRF_ENABLED=False,
                                  UPLOAD_DIR=str(tmp_path_factory.mktemp("uploads"))))
    with Session(app.extensions["growapp_db"].engine) as s:
        ensure_presets(s)
        s.commit()
    yield app
    app.extensions["growapp_db"].engine.dispose()
    drop()


def _tokens(app, n: int) -> list[dict]:
    with Session(app.extensions["growapp_db"].engine) as s:
        raws = [create_api_token(s, user=f.make_user(s, "operator"), name="storm")[1]
                for _ in range(n)]
        s.commit()
    return [{"Authorization": f"Bearer {raw}"} for raw in raws]



def _no_5xx(answers):
    bad = [(r.status_code, r.get_data(as_text=True)[:200]) for r in answers
           if r.status_code >= 500]
    assert not bad, bad


@pytest.mark.parametrize("round_", range(2))
def test_if_match_lets_exactly_one_of_many_patches_win(race_app, round_):
    n = 12
    headers = _tokens(race_app, n)
    with Session(race_app.extensions["growapp_db"].engine) as s:
        exp_id = f.make_experiment(s).id
        s.commit()
    client = race_app.test_client()
    etag = client.get(f"/api/v1/experiments/{exp_id}", headers=headers[0]).headers["ETag"]
    answers = storm(race_app, [
        (lambda c, i=i: c.patch(f"/api/v1/experiments/{exp_id}", json={"name": f"Won {i}"},
                                headers={**headers[i], "If-Match": etag}))
        for i in range(n)])
    _no_5xx(answers)
    statuses = sorted(r.status_code for r in answers)
    assert statuses == [200] + [412] * (n - 1), statuses
    winner = next(r for r in answers if r.status_code == 200).json["name"]
    with Session(race_app.extensions["growapp_db"].engine) as s:
        assert s.get(Experiment, exp_id).name == winner
    assert all(r.json["detail"] for r in answers if r.status_code == 412)


@pytest.mark.parametrize("round_", range(3))
def test_auto_place_racing_manual_placement_never_deadlocks(race_app, round_):
    headers = _tokens(race_app, 6)
    with Session(race_app.extensions["growapp_db"].engine) as s:
        exp, trays, plants = f.make_draft_to_place(s, plants=8, capacity=3)
        uuids = [str(p.uuid) for p in plants]
        tray_ids = [t.id for t in trays]
        exp_id = exp.id
    calls = [lambda c: c.post(f"/api/v1/experiments/{exp_id}/placement/auto",
                              json={"mode": "fill", "allow_partial": True}, headers=headers[0])]
    # Manual placements in the opposite tray order from auto-place's.
    for i in range(1, 6):
        calls.append(lambda c, i=i: c.post(f"/api/v1/trays/{tray_ids[-1 - i % 2]}/plants",
                                           json={"plant_uuid": uuids[-i]}, headers=headers[i]))
    answers = storm(race_app, calls)
    _no_5xx(answers)
    assert {r.status_code for r in answers} <= {200, 201, 409}
    with Session(race_app.extensions["growapp_db"].engine) as s:
        for tray_id in tray_ids:
            held = s.scalar(select(func.count(TrayPlant.id)).where(
                TrayPlant.tray_id == tray_id))
            assert held <= 3


@pytest.mark.parametrize("round_", range(2))
def test_adverse_events_notes_photos_and_feeds_under_load(race_app, round_):
    headers = _tokens(race_app, 12)
    with Session(race_app.extensions["growapp_db"].engine) as s:
        _exp, _trays, plants, _recipe = f.make_running_experiment(s, plants=2, trays=2)
        uuids = [str(p.uuid) for p in plants]
        s.commit()
    photo = jpeg_bytes(size=(64, 48))

    def adverse(i):
        return lambda c: c.post(f"/api/v1/plants/{uuids[i % 2]}/adverse-events",
                                json={"kind": "pest", "severity": 2, "notes": f"storm {i}"},
                                headers=headers[i])

    def photo_post(i):
        return lambda c: c.post(f"/api/v1/plants/{uuids[i % 2]}/photos", headers=headers[i],
                                data={"file": (io.BytesIO(photo), "p.jpg", "image/jpeg"),
                                      "caption": f"storm {i}"},
                                content_type="multipart/form-data")

    def note(i):
        return lambda c: c.post(f"/api/v1/plants/{uuids[i % 2]}/notes",
                                json={"text": f"storm {i}"}, headers=headers[i])

    def measure(i):
        return lambda c: c.post(f"/api/v1/plants/{uuids[i % 2]}/metrics", headers=headers[i],
                                json={"week_number": 1 + i,
                                      "values": {"vigour": 3, "leaf_count": i}})

    def feed(i):
        return lambda c: c.post(f"/api/v1/plants/{uuids[i % 2]}/feed", json={},
                                headers=headers[i])

    calls = [adverse(0), photo_post(1), measure(2), adverse(3), photo_post(4), measure(5),
             note(6), feed(7), adverse(8), photo_post(9), measure(10), measure(11)]
    answers = storm(race_app, calls)
    _no_5xx(answers)
    assert all(r.status_code in (201, 409) for r in answers), \
        [(r.status_code, r.get_data(as_text=True)[:120]) for r in answers]


@pytest.mark.parametrize("round_", range(3))
def test_tray_swaps_racing_each_other_get_409_with_a_sentence(race_app, round_):
    headers = _tokens(race_app, 6)
    with Session(race_app.extensions["growapp_db"].engine) as s:
        exp, trays, _plants, _recipe = f.make_running_experiment(s, plants=3, trays=3)
        s.flush()
        slots = [t.slot_id for t in trays]
        ids = [t.id for t in trays]
        exp_id = exp.id
        s.commit()
    moves = [(0, 1), (1, 0), (1, 2), (2, 1), (0, 2), (2, 0)]  # every pair, both ways
    answers = storm(race_app, [
        (lambda c, i=i, a=a, b=b: c.post(
            f"/api/v1/experiments/{exp_id}/rotation/log", headers=headers[i],
            json={"tray_id": ids[a], "to_slot_id": slots[b], "swap": True}))
        for i, (a, b) in enumerate(moves)])
    _no_5xx(answers)
    assert {r.status_code for r in answers} <= {201, 409}
    for r in answers:
        if r.status_code == 409:
            assert r.json["detail"].endswith((".", "?")), r.json
    with Session(race_app.extensions["growapp_db"].engine) as s:
        from growapp.models import Tray
        placed = sorted(s.scalars(select(Tray.slot_id).where(Tray.id.in_(ids))))
        assert placed == sorted(slots)  # still one tray per slot, none lost
