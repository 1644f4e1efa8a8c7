"""Feeding, rotation, notes, adverse events, remove/replace, the weekly round, the cockpit."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from growapp.models import Event, FeedingLog, Lot, Plant, RotationLog, TrayPlant, utcnow
from growapp.services import feeding as feed_svc
from growapp.services import observations as obs_svc
from growapp.services import plants as plant_svc
from growapp.services import rotation as rot_svc
from growapp.services.errors import Conflict, Forbidden, Invalid
from growapp.services.read.cockpit import cockpit
from growapp.services.read.feeding_queue import feeding_queue
from tests.helpers import factories as f
from tests.helpers.statements import count_statements


@pytest.fixture
def op(session):
    return f.make_user(session, "operator")


def test_feed_resolves_recipe_and_lot(session, op):
    exp, trays, plants, recipe = f.make_running_experiment(session)
    lot = Lot(experiment_id=exp.id, recipe_id=recipe.id, code="L-07")
    session.add(lot)
    session.flush()
    log = feed_svc.log_feeding(session, plant_uuid=plants[0].uuid, actor=op, lot_id=lot.id)
    assert (log.recipe_id, log.tray_id, log.lot_id, log.amount_ml) == (
        recipe.id, trays[0].id, lot.id, 50)
    event = session.scalar(select(Event).where(Event.kind == "plant.fed"))
    assert event.summary == "Fed R1 (lot L-07), 50 ml"


def test_a_feed_reads_plant_experiment_tray_and_recipe_in_one_statement(session, op,
                                                                        connection):
    """Every tap on the floor is a feed: its reads before the write are one statement (plant,
    experiment, tray, recipe: four round trips to PostgreSQL before), two with the "fed a
    minute ago?" check."""
    _exp, _trays, plants, _recipe = f.make_running_experiment(session, plants=2)
    session.commit()
    for uuid, ask, reads in ((plants[0].uuid, False, 1), (plants[1].uuid, True, 2)):
        session.expire_all()
        session.refresh(op)  # signed in: the request has its user already
        with count_statements(connection) as statements:
            feed_svc.log_feeding(session, plant_uuid=uuid, actor=op, ask_if_recent=ask)
        first_write = next(i for i, s in enumerate(statements) if s.lstrip().startswith(
            "INSERT"))
        before = [s for s in statements[:first_write]
                  if s.lstrip().startswith("SELECT") and "pg_advisory" not in s]
        assert len(before) == reads, before


def test_feed_refusals(session, op):
    exp, trays, plants, recipe = f.make_running_experiment(session)
    with pytest.raises(Invalid) as err:
        feed_svc.log_feeding(session, plant_uuid=plants[0].uuid, actor=op, status="skipped")
    assert "reason" in err.value.errors
    unplaced = f.make_plant(session, exp)
    with pytest.raises(Conflict, match="not in a tray"):
        feed_svc.log_feeding(session, plant_uuid=unplaced.uuid, actor=op)
    trays[0].recipe_id = None
    with pytest.raises(Conflict, match="Tray TR1 has no recipe"):
        feed_svc.log_feeding(session, plant_uuid=plants[0].uuid, actor=op)
    trays[0].recipe_id = recipe.id
    other = f.make_recipe(session, exp, "R2")
    lot = Lot(experiment_id=exp.id, recipe_id=other.id, code="L-01")
    session.add(lot)
    session.flush()
    with pytest.raises(Conflict, match="another recipe"):
        feed_svc.log_feeding(session, plant_uuid=plants[0].uuid, actor=op, lot_id=lot.id)
    gone = f.make_plant(session, exp, status="removed")
    with pytest.raises(Conflict, match="removed"):
        feed_svc.log_feeding(session, plant_uuid=gone.uuid, actor=op)
    exp.status = "stopped"
    with pytest.raises(Conflict, match="running"):
        feed_svc.log_feeding(session, plant_uuid=plants[0].uuid, actor=op)


def test_feed_tray_queue_and_undo(session, op):
    exp, trays, plants, _recipe = f.make_running_experiment(session, plants=4, trays=2)
    queue = feeding_queue(session, exp.id)
    assert [i.plant_code for i in queue.due] == ["VFT-001", "VFT-003", "VFT-002", "VFT-004"]
    logs = feed_svc.feed_tray(session, tray_id=trays[0].id, actor=op)
    assert len(logs) == 2
    assert [i.plant_code for i in feeding_queue(session, exp.id).due] == [
        "VFT-002", "VFT-004"]
    feed_svc.log_feeding(session, plant_uuid=plants[1].uuid, actor=op, status="skipped",
                         reason="soil wet")
    assert [i.plant_code for i in feeding_queue(session, exp.id).due] == ["VFT-004"]
    assert feed_svc.undo_feeding(session, log_ids=[lg.id for lg in logs], actor=op) == 2
    assert len(feeding_queue(session, exp.id).due) == 3
    late = feed_svc.log_feeding(session, plant_uuid=plants[0].uuid, actor=op)
    with pytest.raises(Conflict, match="within a minute"):
        feed_svc.undo_feeding(session, log_ids=[late.id], actor=op,
                              now=utcnow() + timedelta(seconds=61))
    with pytest.raises(Forbidden):
        feed_svc.undo_feeding(session, log_ids=[late.id], actor=f.make_user(session))


def test_queue_window_and_blockers(session, op):
    exp, _trays, plants, _r = f.make_running_experiment(session, plants=2)
    session.add(FeedingLog(plant_id=plants[0].id, status="fed",
                           fed_at=utcnow() - timedelta(days=8)))
    session.add(FeedingLog(plant_id=plants[1].id, status="fed",
                           fed_at=utcnow() - timedelta(days=3)))
    f.make_plant(session, exp)  # unplaced
    queue = feeding_queue(session, exp.id)
    assert [i.plant_code for i in queue.due] == ["VFT-001"]
    assert any("not in a tray" in b for b in queue.blockers)


def test_rotation_move_swap_and_rules(session, op):
    exp, trays, _plants, _r = f.make_running_experiment(session, plants=2, trays=2)
    tent = f.make_tent(session, exp, "TN9", positions=1,
                       allowed=[f.species(session, "Cape sundew")])
    free = next(s for s in trays[0].slot.tent.slots if s.id not in {t.slot_id for t in trays})
    rot_svc.rotate_tray(session, tray_id=trays[0].id, to_slot_id=free.id, actor=op, note="sun")
    assert trays[0].slot_id == free.id
    with pytest.raises(Conflict, match="holds tray TR2"):
        rot_svc.rotate_tray(session, tray_id=trays[0].id, to_slot_id=trays[1].slot_id, actor=op)
    first, second = trays[0].slot_id, trays[1].slot_id
    logs = rot_svc.rotate_tray(session, tray_id=trays[0].id, to_slot_id=second, actor=op,
                               swap=True)
    assert len(logs) == 2 and (trays[0].slot_id, trays[1].slot_id) == (second, first)
    with pytest.raises(Conflict, match="does not allow Venus flytrap"):
        rot_svc.rotate_tray(session, tray_id=trays[0].id, to_slot_id=tent.slots[0].id, actor=op)
    history = rot_svc.rotation_history(session, tray_id=trays[0].id)
    assert [h.note for h in history][-1] == "sun" and len(history) == 2
    exp.status = "stopped"
    with pytest.raises(Conflict, match="running"):
        rot_svc.rotate_tray(session, tray_id=trays[0].id, to_slot_id=first, actor=op)
    assert session.scalar(select(func.count(RotationLog.id))) >= 3


def test_notes_and_adverse(session, op):
    _exp, _t, plants, _r = f.make_running_experiment(session)
    with pytest.raises(Invalid):
        obs_svc.add_note(session, plant_uuid=plants[0].uuid, text="x" * 100_000, actor=op)
    assert obs_svc.add_note(session, plant_uuid=plants[0].uuid, text=" aphids? ", actor=op).text \
        == "aphids?"
    event = obs_svc.report_adverse(session, plant_uuid=plants[0].uuid, kind="pest", severity=2,
                                   actor=op)
    with pytest.raises(Invalid):
        obs_svc.report_adverse(session, plant_uuid=plants[0].uuid, kind="mites", severity=5,
                               actor=op)
    assert obs_svc.open_adverse(session, plants[0].id) == [event]
    obs_svc.resolve_adverse(session, adverse_id=event.id, actor=op)
    assert obs_svc.open_adverse(session, plants[0].id) == []


def test_remove_and_replace(session, op):
    exp, trays, plants, _r = f.make_running_experiment(session, plants=2)
    with pytest.raises(Invalid):
        plant_svc.remove_plant(session, plant_uuid=plants[1].uuid, reason=" ", actor=op)
    new = plant_svc.replace_plant(session, plant_uuid=plants[0].uuid, reason="rot", actor=op)
    assert new.plant_code == "VFT-003" and plants[0].status == "removed"
    assert plants[0].replaced_by_id == new.id
    tray_of_new = session.scalar(select(TrayPlant.tray_id).where(TrayPlant.plant_id == new.id))
    assert tray_of_new == trays[0].id
    with pytest.raises(Conflict, match="already been replaced"):
        plant_svc.replace_plant(session, plant_uuid=plants[0].uuid, actor=op)
    # the new plant needs a fresh baseline and may get it while running
    assert 0 not in cockpit(session, new.uuid).weeks
    plant_svc.remove_plant(session, plant_uuid=plants[1].uuid, reason="died", actor=op)
    with pytest.raises(Conflict, match="already removed"):
        plant_svc.remove_plant(session, plant_uuid=plants[1].uuid, reason="again", actor=op)
    queue = feeding_queue(session, exp.id)
    assert [i.plant_code for i in queue.due] == ["VFT-003"]


def test_observe_queue(session, op):
    exp, _t, plants, _r = f.make_running_experiment(session, plants=3)
    from growapp.services.metrics import record_metrics

    record_metrics(session, plant_uuid=plants[1].uuid, week_number=2, values={"vigour": 3},
                   actor=op)
    q = obs_svc.observe_queue(session, exp.id, 2)
    assert [p.plant_code for p in q.plants] == ["VFT-001", "VFT-003"] and q.done == 1


def test_observe_queue_goes_on_after_a_plant_and_wraps(session, op):
    exp, _t, plants, _r = f.make_running_experiment(session, plants=5)
    from growapp.services.metrics import record_metrics

    for p in (plants[1], plants[3]):  # VFT-002 and VFT-004 measured
        record_metrics(session, plant_uuid=p.uuid, week_number=1, values={"vigour": 3},
                       actor=op)

    def to_do(after, limit):
        q = obs_svc.observe_queue(session, exp.id, 1, limit=limit, after=after)
        assert (q.done, q.total) == (2, 5)
        return [p.plant_code for p in q.plants]

    assert to_do("VFT-002", 1) == ["VFT-003"]
    assert to_do("VFT-003", 3) == ["VFT-005", "VFT-001", "VFT-003"]
    assert to_do("VFT-005", 2) == ["VFT-001", "VFT-003"]
    assert to_do(None, 2) == ["VFT-001", "VFT-003"]


def test_cockpit_next_actions_in_priority_order(session, op):
    exp, trays, plants, _r = f.make_running_experiment(session, plants=1)
    exp.started_at = utcnow() - timedelta(days=22)
    obs_svc.report_adverse(session, plant_uuid=plants[0].uuid, kind="pest", severity=1,
                           actor=op)
    c = cockpit(session, plants[0].uuid)
    assert [a.key for a in c.actions] == ["feed", "measure", "adverse"]
    assert c.actions[0].label == "Feed — never fed"
    assert c.actions[1].label == "Weekly measurement (week 3) due"
    feed_svc.log_feeding(session, plant_uuid=plants[0].uuid, actor=op)
    assert [a.key for a in cockpit(session, plants[0].uuid).actions] == ["measure", "adverse"]


def test_cockpit_statements_do_not_grow_with_history(session, connection, op):
    _exp, _t, plants, _r = f.make_running_experiment(session, plants=2)
    busy, quiet = plants
    for i in range(500):
        session.add(FeedingLog(plant_id=busy.id, status="fed",
                               fed_at=utcnow() - timedelta(hours=i)))
        session.add(Event(plant_id=busy.id, kind="plant.noted", summary=f"note {i}"))
    for i in range(5):
        session.add(Event(plant_id=quiet.id, kind="plant.noted", summary=f"note {i}"))
    session.flush()
    counts = []
    for plant in (busy, quiet):
        session.expunge_all()
        with count_statements(connection) as statements:
            c = cockpit(session, session.get(Plant, plant.id).uuid)
        counts.append(len(statements))
        assert len(c.recent) <= 20
    # the test's session.get, then the plant (+ location, last feed, links) and one
    # UNION ALL of activity, measurements, open issues, lots, photos, next/previous plant
    # and the tent's conditions
    assert counts[0] == counts[1] <= 3, counts
