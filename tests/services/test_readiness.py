from growapp.services.read.readiness import setup_status, status_summaries, status_summary
from tests.helpers import factories as f
from tests.helpers.statements import count_statements


def test_empty_experiment_has_incomplete_setup(session):
    exp = f.make_experiment(session)
    s = status_summary(session, exp.id)
    assert s.setup == {"plants": False, "tents": False, "slots": False, "recipes": False,
                       "trays": False, "complete": False}
    assert s.readiness == dict.fromkeys(s.readiness, 0)
    assert s.ready_to_start is False
    assert "Setup is incomplete" in s.problems()[0]


def test_setup_is_not_complete_without_a_tray(session):
    exp = f.make_experiment(session)
    f.make_tent(session, exp)
    f.make_recipe(session, exp)
    f.make_plant(session, exp, grade="A", baseline=True)
    s = status_summary(session, exp.id)
    assert s.setup["trays"] is False and s.setup["complete"] is False
    assert s.problems()[0] == "Setup is incomplete: add trays."
    assert {"key": "setup_trays", "text": "No trays yet"} in s.blockers()
    f.make_tray(session, exp)
    s = status_summary(session, exp.id)
    assert s.setup["trays"] is True and s.setup["complete"] is True


def test_every_kind_of_gap_is_counted(session):
    exp = f.make_experiment(session)
    dro = f.species(session, "Cape sundew")
    vft = f.species(session, "Venus flytrap")
    tent = f.make_tent(session, exp, positions=3, allowed=[vft])
    recipe = f.make_recipe(session, exp)
    good = f.make_tray(session, exp, "TR1", slot=tent.slots[0], recipe=recipe)
    no_recipe = f.make_tray(session, exp, "TR2", slot=tent.slots[1])
    f.make_plant(session, exp, grade="A", baseline=True, tray=good)          # ready
    f.make_plant(session, exp, grade=None, baseline=True, tray=good)         # grade
    f.make_plant(session, exp, grade="B", baseline=False, tray=good)         # baseline
    f.make_plant(session, exp, grade="B", baseline=True)                     # placement
    f.make_plant(session, exp, grade="C", baseline=True, tray=no_recipe)     # tray recipe
    f.make_plant(session, exp, sp=dro, grade="A", baseline=True, tray=good)  # restriction
    f.make_plant(session, exp, grade=None, status="removed")                 # ignored
    s = status_summary(session, exp.id)
    assert s.setup["complete"] is True
    assert s.readiness == {"needs_baseline": 1, "needs_grade": 1, "needs_placement": 1,
                           "needs_tray_recipe": 1, "needs_tent_restriction": 1}
    assert s.counts["active_plants"] == 6 and s.counts["plants"] == 7
    assert not s.ready_to_start
    assert "1 plant needs a grade" in s.problems()
    assert "1 plant sits in a tent that does not allow its species" in s.problems()


def test_ready_experiment(session):
    exp = f.make_ready_experiment(session, plants=3)
    s = status_summary(session, exp.id)
    assert s.ready_to_start
    assert s.problems() == []
    assert s.as_dict()["ready_to_start"] is True


def test_summaries_use_a_fixed_number_of_statements(session):
    small = [f.make_ready_experiment(session, plants=1).id]
    many = [f.make_ready_experiment(session, plants=8).id for _ in range(5)]
    counts = []
    for ids in (small, many):
        with count_statements(session.connection()) as statements:
            result = status_summaries(session, ids)
        assert set(result) == set(ids)
        counts.append(len(statements))
    assert counts[0] == counts[1] == 1


def test_each_count_sees_only_its_experiment_and_live_rows(session):
    """Every figure is its own count per experiment: a voided baseline is missing, a tray
    with no slot or a tent with no species list cannot break the rule, a removed plant
    still linked to a tray counts nowhere, and two experiments do not mix."""
    from growapp.models import PlantMetric, TrayPlant, utcnow

    vft, dro = f.species(session, "Venus flytrap"), f.species(session, "Cape sundew")
    results = {}
    for label in ("a", "b"):
        exp = f.make_experiment(session)
        strict = f.make_tent(session, exp, "TN1", positions=2, allowed=[vft])
        open_tent = f.make_tent(session, exp, "TN2", positions=1)
        recipe = f.make_recipe(session, exp)
        in_strict = f.make_tray(session, exp, "TR1", capacity=9, slot=strict.slots[0],
                                recipe=recipe)
        in_open = f.make_tray(session, exp, "TR2", capacity=9, slot=open_tent.slots[0])
        loose = f.make_tray(session, exp, "TR3", capacity=9, recipe=recipe)  # no slot
        for tray in (in_strict, in_open, loose):
            f.make_plant(session, exp, sp=dro, grade="A", baseline=True, tray=tray)
        voided = f.make_plant(session, exp, grade="A", tray=in_strict)
        session.add(PlantMetric(plant_id=voided.id, week_number=0, values={"vigour": 2},
                                voided_at=utcnow()))
        week1 = f.make_plant(session, exp, grade=None, tray=in_strict)
        session.add(PlantMetric(plant_id=week1.id, week_number=1, values={"vigour": 2}))
        gone = f.make_plant(session, exp, sp=dro, grade=None, status="removed")
        session.add(TrayPlant(tray_id=in_open.id, plant_id=gone.id))
        if label == "b":  # more gaps in b only
            f.make_plant(session, exp, grade=None)
            f.make_plant(session, exp, sp=dro, grade="B", baseline=True, tray=in_strict)
        session.flush()
        results[label] = exp.id
    both = status_summaries(session, list(results.values()))
    a, b = both[results["a"]], both[results["b"]]
    assert a.readiness == {"needs_baseline": 2, "needs_grade": 1, "needs_placement": 0,
                           "needs_tray_recipe": 1, "needs_tent_restriction": 1}
    assert a.counts == {"plants": 6, "active_plants": 5, "tents": 2, "slots": 3,
                        "recipes": 1, "trays": 3}
    assert b.readiness == {"needs_baseline": 3, "needs_grade": 2, "needs_placement": 1,
                           "needs_tray_recipe": 1, "needs_tent_restriction": 2}
    assert b.counts["active_plants"] == 7 and b.counts["plants"] == 8
    assert status_summary(session, results["a"]) == a


def test_setup_status_is_the_summary_setup_in_one_constant_statement(session):
    """The context bar's cheap check agrees with the full summary at every step of setup:
    only removed plants, a tent without slots, another experiment's rows do not count."""
    other = f.make_ready_experiment(session, plants=2)
    exp = f.make_experiment(session)

    def check():
        with count_statements(session.connection()) as statements:
            got = setup_status(session, exp.id)
        assert len(statements) == 1 and "count(" not in statements[0].lower()
        assert got == status_summary(session, exp.id).setup
        return got

    assert check() == {"plants": False, "tents": False, "slots": False, "recipes": False,
                       "trays": False, "complete": False}
    f.make_plant(session, exp, status="removed")
    assert check()["plants"] is False
    f.make_plant(session, exp)
    assert check()["plants"] is True
    bare = f.make_tent(session, exp, "TN1", positions=1)
    bare.layout = {"schema_version": 1, "shelves": []}
    for slot in list(bare.slots):
        session.delete(slot)
    session.flush()
    assert check()["tents"] is True and check()["slots"] is False
    tent = f.make_tent(session, exp, "TN2")
    assert check()["slots"] is True
    f.make_recipe(session, exp)
    assert check()["recipes"] is True and check()["complete"] is False
    f.make_tray(session, exp, slot=tent.slots[0])
    assert check()["complete"] is True
    assert setup_status(session, other.id)["complete"] is True
