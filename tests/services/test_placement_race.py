"""Two operators take the last place in a tray at the same moment: exactly one wins.

Runs on real commits in its own throwaway database (SQLite: BEGIN IMMEDIATE queues the
writers; PostgreSQL: SELECT … FOR UPDATE on the tray row)."""

import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from growapp.extensions import make_engine, sqlite_write_intent
from growapp.models import Experiment, Plant, Tray, TrayPlant, User
from growapp.services.errors import Conflict
from growapp.services.placement import place_plant
from growapp.services.presets import ensure_presets
from tests.helpers import factories as f
from tests.helpers.databases import fresh_database


@pytest.fixture(scope="module")
def engine():
    url, drop = fresh_database("race")
    eng = make_engine(url)
    with Session(eng) as s:
        ensure_presets(s)
        s.commit()
    yield eng
    eng.dispose()
    drop()


def _scenario(engine) -> tuple[int, list[str], list[int]]:
    with Session(engine) as s:
        exp = f.make_experiment(s)
        tray = f.make_tray(s, exp, "TR3", capacity=6)
        for _ in range(5):
            f.make_plant(s, exp, tray=tray)
        contenders = [str(f.make_plant(s, exp).uuid) for _ in range(2)]
        users = [f.make_user(s, "operator").id for _ in range(2)]
        s.commit()
        return tray.id, contenders, users


@pytest.mark.parametrize("round_", range(4))
def test_only_one_operator_gets_the_last_place(engine, round_):
    tray_id, contenders, users = _scenario(engine)
    barrier = threading.Barrier(2, timeout=20)
    outcomes: list[str] = []

    def operator(plant_uuid: str, user_id: int) -> None:
        token = sqlite_write_intent.set(True)  # what the web layer does for a POST
        try:
            barrier.wait()
            with Session(engine) as s:
                try:
                    place_plant(s, tray_id=tray_id, plant_uuid=plant_uuid,
                                actor=s.get(User, user_id))
                    s.commit()
                    outcomes.append("placed")
                except Conflict as exc:
                    s.rollback()
                    outcomes.append(exc.detail)
        finally:
            sqlite_write_intent.reset(token)

    threads = [threading.Thread(target=operator, args=(p, u)) for p, u in zip(contenders, users,
                                                                               strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes) == ["Tray TR3 is full (6/6).", "placed"]
    with Session(engine) as s:
        held = s.scalar(select(func.count(TrayPlant.id)).where(TrayPlant.tray_id == tray_id))
        assert held == 6 == s.get(Tray, tray_id).capacity
        assert s.scalar(select(func.count(Plant.id)).join(Experiment)) >= 7
