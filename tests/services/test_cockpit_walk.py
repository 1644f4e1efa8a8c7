"""The cockpit's previous/next plant against a walk worked out in Python: tents by code,
trays by code (shorter first: TR9 before TR10), a tray in no slot last, plants by code,
active plants only, trays without an active plant skipped."""

from sqlalchemy import select

from growapp.models import TrayPlant
from growapp.services.plants import remove_plant, replace_plant
from growapp.services.read.cockpit import cockpit
from tests.helpers import factories as f


def _expected_walk(trays_in: dict) -> list[tuple]:
    """[(plant, tray_code)] in walk order from {tray: (tent_code, [plants])}."""
    walk = []
    for tray, (_tent, plants) in sorted(
            trays_in.items(),
            key=lambda kv: (kv[1][0] is None, kv[1][0] or "", len(kv[0].code), kv[0].code)):
        walk += [(p, tray.code) for p in sorted(plants, key=lambda p: p.plant_code)
                 if p.status == "active"]
    return walk


def test_previous_and_next_follow_the_walk_across_trays_and_tents(session):
    exp = f.make_experiment(session, status="running")
    tn2 = f.make_tent(session, exp, code="TN2", positions=2)  # made first, walked second
    tn1 = f.make_tent(session, exp, code="TN1", positions=4)
    lead = f.make_user(session, role="admin")
    layout = [  # tray code, tent (None: in no slot), slot index, plant codes (x: removed)
        ("TR10", tn1, 0, ["B-02", "B-01", "B-03x"]),
        ("TR9", tn1, 1, ["A-05", "A-01x", "A-03"]),
        ("TR11", tn1, 2, ["C-01x"]),  # only a removed plant: not on the walk
        ("TR12", tn1, 3, []),  # empty: not on the walk
        ("TR0", None, None, ["F-01"]),  # in no slot: walked last
        ("TR2", tn2, 0, ["D-01"]),
        ("TR1", tn2, 1, ["E-09", "E-10", "E-08"]),
    ]
    trays_in = {}
    for code, tent, slot, plant_codes in layout:
        tray = f.make_tray(session, exp, code, capacity=5,
                           slot=tent.slots[slot] if tent else None)
        plants = [f.make_plant(session, exp, code=c.rstrip("x"), tray=tray)
                  for c in plant_codes]
        for plant, c in zip(plants, plant_codes, strict=True):
            if c.endswith("x"):  # removed the way the floor removes one: it leaves its tray
                remove_plant(session, plant_uuid=plant.uuid, reason="died", actor=lead)
        trays_in[tray] = (tent.code if tent else None, plants)
    session.commit()

    walk = _expected_walk(trays_in)
    assert [p.plant_code for p, _ in walk] == [
        "A-03", "A-05", "B-01", "B-02", "E-08", "E-09", "E-10", "D-01", "F-01"]
    for i, (plant, tray_code) in enumerate(walk):
        nb = cockpit(session, plant.uuid).neighbours
        same_tray = [p for p, t in walk if t == tray_code]
        assert (nb.tray_code, nb.position, nb.in_tray) == (
            tray_code, same_tray.index(plant) + 1, len(same_tray)), plant.plant_code
        prev = walk[i - 1] if i else None
        nxt = walk[i + 1] if i + 1 < len(walk) else None
        for got, want in ((nb.previous, prev), (nb.next, nxt)):
            if want is None:
                assert got is None, plant.plant_code
            else:
                assert (got.uuid, got.code, got.tray_code) == (
                    str(want[0].uuid), want[0].plant_code, want[1]), plant.plant_code

    removed = next(p for _t, (_c, ps) in trays_in.items() for p in ps if p.status != "active")
    assert cockpit(session, removed.uuid).neighbours is None


def test_trays_hold_only_active_plants(session):
    """The walk's "tray holds an active plant" is a probe into tray_plants alone: it rests on
    removal taking a plant out of its tray and replacement handing the place on."""
    exp = f.make_experiment(session, status="running")
    lead = f.make_user(session, role="admin")
    tray = f.make_tray(session, exp, "TR1", capacity=5)
    gone, swapped, emptied = (f.make_plant(session, exp, tray=tray) for _ in range(3))
    remove_plant(session, plant_uuid=gone.uuid, reason="died", actor=lead)
    new = replace_plant(session, plant_uuid=swapped.uuid, actor=lead, reason="pest")
    replace_plant(session, plant_uuid=emptied.uuid, actor=lead, inherit_tray=False)
    session.commit()
    held = set(session.scalars(select(TrayPlant.plant_id)))
    assert held == {new.id}
