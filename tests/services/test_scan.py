"""What a scanned text opens: label URLs on any host, paths, plant codes per experiment;
scan to feed."""

import uuid

import pytest
from sqlalchemy import func, select

from growapp.models import FeedingLog, Lot
from growapp.services import scan
from growapp.services.errors import Conflict, Invalid, NotFound
from tests.helpers import factories as f


@pytest.fixture
def two(session):
    """Two running experiments, both with a VFT-001."""
    exp_a, trays_a, plants_a, recipe_a = f.make_running_experiment(session, plants=2)
    exp_b, _trays_b, plants_b, _recipe_b = f.make_running_experiment(session, plants=1)
    return exp_a, trays_a, plants_a, recipe_a, exp_b, plants_b


def test_a_label_url_on_another_host_opens_the_plant(session, two):
    _exp_a, _trays, plants_a, *_ = two
    found = scan.resolve_scan(session, text=f"https://old-name.example:8443/p/{plants_a[0].uuid}")
    assert found.kind == "plant" and found.plant.id == plants_a[0].id


@pytest.mark.parametrize("shape", ["/p/{u}", "http://192.168.1.20:5000/p/{u}/", "{u}",
                                   "grow.lan/p/{u}?from=x", "/p/{hex}"])
def test_plant_paths_and_bare_uuids(session, two, shape):
    plant = two[2][0]
    text = shape.format(u=plant.uuid, hex=plant.uuid.hex)
    assert scan.resolve_scan(session, text=text).plant.id == plant.id


def test_a_tray_label_opens_the_tray(session, two):
    tray = two[1][0]
    for text in (f"/t/{tray.uuid}", f"https://x.example/t/{tray.uuid}", str(tray.uuid)):
        found = scan.resolve_scan(session, text=text)
        assert found.kind == "tray" and found.tray.id == tray.id


def test_a_code_resolves_in_the_last_experiment_and_names_the_others(session, two):
    exp_a, _trays, plants_a, _r, exp_b, plants_b = two
    found = scan.resolve_scan(session, text="vft-001", last_experiment_id=exp_b.id)
    assert found.plant.id == plants_b[0].id and [e.id for e in found.also_in] == [exp_a.id]
    found = scan.resolve_scan(session, text="VFT-001", last_experiment_id=exp_a.id)
    assert found.plant.id == plants_a[0].id and [e.id for e in found.also_in] == [exp_b.id]


def test_an_ambiguous_code_lists_the_matches(session, two):
    exp_a, _trays, _plants_a, _r, exp_b, _plants_b = two
    found = scan.resolve_scan(session, text="VFT-001", last_experiment_id=None)
    assert found.kind == "choose"
    assert {e.id for _p, e in found.matches} == {exp_a.id, exp_b.id}


def test_a_code_only_one_experiment_has_opens_it_wherever_the_user_was(session, two):
    _exp_a, _trays, plants_a, _r, exp_b, _plants_b = two
    found = scan.resolve_scan(session, text="VFT-002", last_experiment_id=exp_b.id)
    assert found.plant.id == plants_a[0 + 1].id and found.also_in == []


def test_a_tray_code_in_the_last_experiment(session, two):
    exp_a, trays_a, *_ = two
    found = scan.resolve_scan(session, text="tr1", last_experiment_id=exp_a.id)
    assert found.kind == "tray" and found.tray.id == trays_a[0].id


def test_an_unknown_uuid_is_not_found(session, two):
    with pytest.raises(NotFound, match="another growapp installation"):
        scan.resolve_scan(session, text=f"https://grow.example/p/{uuid.uuid4()}")
    with pytest.raises(NotFound, match="No tray"):
        scan.resolve_scan(session, text=f"/t/{uuid.uuid4()}")
    with pytest.raises(NotFound, match="No plant has the code XYZ-999"):
        scan.resolve_scan(session, text="XYZ-999")


@pytest.mark.parametrize("garbage", ["https://example.com/products/42", "hello world",
                                     "WIFI:S:tent;T:WPA;P:secret;;", "x" * 3000,
                                     "javascript:alert(1)", "/p/not-a-uuid"])
def test_garbage_is_not_a_growapp_label(session, garbage):
    with pytest.raises(Invalid, match="not a growapp label"):
        scan.resolve_scan(session, text=garbage)


def test_empty_asks_for_a_scan(session):
    with pytest.raises(Invalid, match="Scan a label"):
        scan.resolve_scan(session, text="   ")


def test_remembered_experiment(session, two):
    exp_a, trays_a, plants_a, _r, exp_b, _ = two
    assert scan.remembered_experiment(session, {"experiment": exp_b.id}) == exp_b.id
    assert scan.remembered_experiment(session, {"plant": str(plants_a[0].uuid)}) == exp_a.id
    assert scan.remembered_experiment(session, {"tray": str(trays_a[0].uuid)}) == exp_a.id
    assert scan.remembered_experiment(session, {"plant": "nope"}) is None
    assert scan.remembered_experiment(session, None) is None


# Scan to feed ----------------------------------------------------------------------------

def _lot(session, exp, recipe):
    lot = Lot(experiment_id=exp.id, recipe_id=recipe.id, code=f"L-{recipe.id:02d}")
    session.add(lot)
    session.flush()
    return lot


def test_scan_to_feed_a_plant_with_the_lot_of_its_recipe(session, two):
    exp_a, _trays, plants_a, recipe_a, exp_b, _ = two
    actor = f.make_user(session)
    lot = _lot(session, exp_a, recipe_a)
    other = f.make_recipe(session, exp_a, "R9")
    wrong = _lot(session, exp_a, other)
    done = scan.feed_scanned(session, experiment_id=exp_a.id, actor=actor,
                             text=f"https://x.example/p/{plants_a[0].uuid}",
                             lot_ids=[wrong.id, lot.id])
    assert done.label == str(plants_a[0].uuid)
    assert done.summary == f"Fed VFT-001 (R1, lot {lot.code})."
    assert [(g.plant_id, g.lot_id) for g in done.logs] == [(plants_a[0].id, lot.id)]


def test_scan_to_feed_a_code_feeds_this_experiments_plant(session, two):
    exp_a, _trays, plants_a, *_ = two
    done = scan.feed_scanned(session, experiment_id=exp_a.id, actor=f.make_user(session),
                             text="VFT-001", lot_ids=[])
    assert done.logs[0].plant_id == plants_a[0].id and done.summary == "Fed VFT-001 (R1)."


def test_scan_to_feed_a_tray_label_feeds_the_tray(session, two):
    exp_a, trays_a, plants_a, *_ = two
    done = scan.feed_scanned(session, experiment_id=exp_a.id, actor=f.make_user(session),
                             text=f"/t/{trays_a[0].uuid}", lot_ids=[])
    assert sorted(g.plant_id for g in done.logs) == sorted(p.id for p in plants_a)
    assert done.summary == "Fed tray TR1: 2 plants (R1)."


def test_scan_to_feed_refuses_another_experiments_label(session, two):
    exp_a, *_rest, plants_b = two
    with pytest.raises(Conflict, match="not to this feeding queue"):
        scan.feed_scanned(session, experiment_id=exp_a.id, actor=f.make_user(session),
                          text=f"/p/{plants_b[0].uuid}", lot_ids=[])
    assert session.scalar(select(func.count()).select_from(FeedingLog)) == 0
