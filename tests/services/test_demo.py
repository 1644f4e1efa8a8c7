"""The demo trial looks like a real one: metrics that differ, tray effects, gaps, a removed
and a replaced plant, activity on the plants; and the same every time."""

from __future__ import annotations

import hashlib
import json

from sqlalchemy import select

from growapp.models import Event, Plant, PlantMetric
from growapp.services.demo import seed_demo
from growapp.services.read.cockpit import cockpit
from growapp.services.reports import build_report


def _digest(session, exp) -> str:
    rows = session.execute(select(Plant.plant_code, PlantMetric.week_number, PlantMetric.values)
                           .join(Plant).where(Plant.experiment_id == exp.id)
                           .order_by(Plant.plant_code, PlantMetric.week_number)).all()
    return hashlib.sha256(json.dumps([list(r) for r in rows], sort_keys=True).encode()).hexdigest()


def test_demo_trial_is_realistic_and_deterministic(session):
    savepoint = session.begin_nested()
    _admin, exp, created = seed_demo(session)
    first = _digest(session, exp)
    savepoint.rollback()
    _admin, exp, created = seed_demo(session)
    assert created and _digest(session, exp) == first

    report = build_report(session, experiment_id=exp.id)
    metrics = {m.key: m for m in report.metrics}
    week = report.answer_week
    assert week == 3 and not report.weeks_in_progress
    leaves, traps = metrics["leaf_count"].fits[("", week)], metrics["trap_count"].fits[("", week)]
    assert [c.estimate for c in leaves.contrasts] != [c.estimate for c in traps.contrasts]
    assert leaves.icc and leaves.icc > 0.05 and leaves.can_tell
    assert traps.contrasts[1].estimate < leaves.contrasts[1].estimate  # R2 costs traps

    plants = {p.plant_code: p for p in session.scalars(
        select(Plant).where(Plant.experiment_id == exp.id))}
    removed = [p for p in plants.values() if p.status == "removed"]
    assert len(removed) == 2
    assert plants["DRO-020"].replaced_by_id == plants["DRO-061"].id
    values = session.execute(select(PlantMetric.values).join(Plant).where(
        Plant.experiment_id == exp.id, PlantMetric.week_number > 0)).scalars().all()
    assert any("diameter_mm" not in v or "trap_count" not in v for v in values)

    view = cockpit(session, plants["VFT-030"].uuid)
    kinds = {e.kind for e in view.recent}
    assert {"plant.measured", "plant.fed"} <= kinds
    assert not [a for a in view.actions if a.key == "baseline"]
    new = cockpit(session, plants["DRO-061"].uuid)
    assert 0 in new.weeks and new.links["replaces"]
    assert session.scalar(select(Event).where(Event.plant_id == plants["VFT-017"].id,
                                              Event.kind == "plant.removed"))
