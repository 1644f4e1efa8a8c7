"""A typed % or _ in a search means that character, not "anything" (LIKE is escaped)."""

from growapp.services.plants import list_plants
from growapp.services.read.find import find_by_code
from growapp.services.read.overview import roster
from tests.helpers import factories as f


def _codes(plants):
    return sorted(p.plant_code for p in plants)


def test_percent_underscore_and_backslash_are_literal(session):
    exp = f.make_experiment(session)
    for code in ("WILD-100", "WILD-1%0", "WILD-1_0", "WILD-1\\0"):
        f.make_plant(session, exp, code)
    session.flush()
    _n, plants = list_plants(session, experiment_id=exp.id, q="%")
    assert _codes(plants) == ["WILD-1%0"]
    _n, plants = list_plants(session, experiment_id=exp.id, q="1_0")
    assert _codes(plants) == ["WILD-1_0"]
    _n, plants = list_plants(session, experiment_id=exp.id, q="\\")
    assert _codes(plants) == ["WILD-1\\0"]
    found = [p.plant_code for p, _e in find_by_code(session, "%") if p.experiment_id == exp.id]
    assert found == ["WILD-1%0"]
    shown = roster(session, exp.id, filter_="active", q="_")
    assert shown.shown == 1 and [r.plant.plant_code for r in shown.unplaced] == ["WILD-1_0"]
    assert len(list_plants(session, experiment_id=exp.id, q="wild-")[1]) == 4
