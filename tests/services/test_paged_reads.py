"""Read models paged for big trials: every plant appears exactly once across the pages, and
each page costs the same whatever the trial's size."""

from growapp.services.read.overview import roster
from tests.helpers import factories as f


def _walk(session, exp_id, **kw):
    at, seen, pages = 0, [], 0
    while at is not None:
        page = roster(session, exp_id, at=at, budget=7, **kw)
        seen += [r.plant.plant_code for g in page.groups for tg in g.trays for r in tg.plants]
        seen += [r.plant.plant_code for r in page.unplaced]
        assert page.next_at is None or page.next_at > at
        at, pages = page.next_at, pages + 1
    return seen, pages


def test_roster_pages_cover_every_plant_once(session):
    exp, _trays, plants, _r = f.make_running_experiment(session, plants=20, trays=4)
    extra = [f.make_plant(session, exp, code=f"UNP-{i}") for i in range(9)]  # unplaced
    session.flush()
    seen, pages = _walk(session, exp.id)
    assert sorted(seen) == sorted(p.plant_code for p in plants + extra)
    assert pages > 3
    first = roster(session, exp.id, budget=7)
    assert first.shown == 29 and first.unplaced_count == 9 and first.next_at
    assert not first.groups[0].continued
    later = roster(session, exp.id, at=first.next_at, budget=7)
    assert later.groups and later.groups[0].continued  # the same tent goes on


def test_roster_pages_follow_filters_and_search(session):
    exp, _trays, plants, _r = f.make_running_experiment(session, plants=20, trays=4)
    f.make_plant(session, exp, code="UNP-1")
    session.flush()
    seen, _pages = _walk(session, exp.id, q="vft-01")
    assert sorted(seen) == [f"VFT-{i:03d}" for i in range(10, 20)]
    seen, _pages = _walk(session, exp.id, filter_="needs_placement")
    assert seen == ["UNP-1"]
    for kw, shown, unplaced in (({}, 21, 1), ({"q": "unp"}, 1, 1), ({"q": "vft-01"}, 10, 0),
                                ({"filter_": "needs_placement"}, 1, 1),
                                ({"filter_": "removed"}, 0, 0)):
        page = roster(session, exp.id, **kw)
        assert (page.shown, page.unplaced_count) == (shown, unplaced), kw


def test_roster_counts_trays_and_unplaced_in_one_statement(session, connection):
    from growapp.services.tents import list_tents
    from growapp.services.trays import list_trays
    from tests.helpers.statements import count_statements

    exp, _trays, _plants, _r = f.make_running_experiment(session, plants=20, trays=4)
    f.make_plant(session, exp, code="UNP-1")
    session.flush()
    tents, trays = list_tents(session, exp.id), list_trays(session, exp.id)
    with count_statements(connection) as statements:
        page = roster(session, exp.id, tents=tents, trays=trays)
    assert page.unplaced_count == 1 and page.shown == 21
    assert len(statements) == 4  # counts, the page's placed, its unplaced, the removed count


def test_baseline_queue_pages_cover_the_plants_to_do_once(session, connection):
    from growapp.services.metrics import baseline_queue
    from tests.helpers.statements import count_statements

    exp = f.make_experiment(session)
    made = [f.make_plant(session, exp, code=f"VFT-{i:03d}", baseline=i % 2 == 0,
                         grade="B" if i % 4 == 0 else None) for i in range(1, 24)]
    f.make_plant(session, exp, code="VFT-999").status = "removed"
    session.flush()
    wanted = sorted(p.plant_code for p in made if not (p.grade and p.plant_code))
    seen, at, counts = [], 0, set()
    while at is not None:
        with count_statements(connection) as statements:
            page = baseline_queue(session, exp.id, at=at, limit=4, ungraded=3)
        counts.add(len(statements))
        seen += [p.plant_code for p in page.plants]
        assert page.total == 23 and page.remaining == len(wanted)
        assert [p.plant_code for p in page.ungraded] == wanted[:3]
        at = page.next_at
    assert seen == wanted and len(counts) == 1  # the same statements on every page
    whole = baseline_queue(session, exp.id)
    assert [p.plant_code for p in whole.plants] == wanted and whole.next_at is None


def test_placement_view_counts_unplaced_by_species_for_each_tent_rule(session, connection):
    """The pickers' suggestions and the per-species counts come from one pass: a tent that
    allows only sundews offers the sundews and says why when there are none."""
    from growapp.services.read.placement import placement_view
    from tests.helpers.statements import count_statements

    exp = f.make_experiment(session)
    sundew = f.species(session, "Cape sundew")
    open_tent = f.make_tent(session, exp, "TN1")
    sundew_tent = f.make_tent(session, exp, "TN2", allowed=[sundew])
    f.make_tray(session, exp, "TR1", slot=open_tent.slots[0])
    f.make_tray(session, exp, "TR2", slot=sundew_tent.slots[0])
    for i in range(1, 8):
        f.make_plant(session, exp, code=f"VFT-{i:03d}")
    f.make_plant(session, exp, code="VFT-900", status="removed")
    session.flush()
    with count_statements(connection) as statements:
        view = placement_view(session, exp.id)
    cards = {c.row.tray.code: c for c in view.cards}
    assert view.unplaced_total == 7 and view.unplaced_count == 7
    assert cards["TR2"].why_none == "Tent TN2 allows only species that no unplaced plant has."
    assert [p.plant_code for p in view.choices[cards["TR1"].choices_id]][:2] == \
        ["VFT-001", "VFT-002"]
    first = len(statements)
    assert first == 9  # tents (3), trays, restrictions, counts, suggestions, unplaced, placed

    made = [f.make_plant(session, exp, code=f"CSD-{i}", sp=sundew) for i in range(3)]
    session.flush()
    with count_statements(connection) as statements:
        view = placement_view(session, exp.id)
    cards = {c.row.tray.code: c for c in view.cards}
    assert view.unplaced_total == 10
    assert [p.plant_code for p in view.choices[cards["TR2"].choices_id]] == \
        [p.plant_code for p in made]
    assert not cards["TR2"].why_none and len(statements) == first


def test_baseline_progress_is_one_count_that_agrees_with_the_queue(session, connection):
    """done + remaining = total, and remaining is exactly the plants the queue lists, in
    every edge case: a voided baseline is missing, a removed plant counts nowhere, graded
    without a baseline and baselined without a grade are both still to do, a week-1 row is
    no baseline, and another experiment's plants do not mix in."""
    from growapp.models import PlantMetric, utcnow
    from growapp.services.metrics import baseline_progress, baseline_queue
    from tests.helpers.statements import count_statements

    other = f.make_experiment(session)
    f.make_plant(session, other, grade="A", baseline=True)
    f.make_plant(session, other)
    exp = f.make_experiment(session)
    done = [f.make_plant(session, exp, code="D-1", grade="A", baseline=True),
            f.make_plant(session, exp, code="D-2", grade="C", baseline=True)]
    voided = f.make_plant(session, exp, code="T-1", grade="B")
    session.add(PlantMetric(plant_id=voided.id, week_number=0, values={}, voided_at=utcnow()))
    f.make_plant(session, exp, code="T-2", grade="A")  # graded, no baseline
    f.make_plant(session, exp, code="T-3", baseline=True)  # baseline, no grade
    week1 = f.make_plant(session, exp, code="T-4", grade="A")
    session.add(PlantMetric(plant_id=week1.id, week_number=1, values={}))
    f.make_plant(session, exp, code="T-5")  # neither
    f.make_plant(session, exp, code="R-1", grade="A", baseline=True, status="removed")
    f.make_plant(session, exp, code="R-2", status="removed")
    session.flush()
    with count_statements(connection) as statements:
        assert baseline_progress(session, exp.id) == (len(done), 7)
    assert len(statements) == 1
    whole = baseline_queue(session, exp.id)
    assert [p.plant_code for p in whole.plants] == ["T-1", "T-2", "T-3", "T-4", "T-5"]
    assert (whole.done, whole.total, whole.remaining) == (2, 7, 5)
    assert baseline_progress(session, f.make_experiment(session).id) == (0, 0)


def test_later_baseline_pages_count_nothing(session, connection):
    """The "More" pages of the queue need no progress: no count walks the trial for them,
    and one row more than the page says whether another page follows."""
    from growapp.services.metrics import baseline_queue
    from tests.helpers.statements import count_statements

    exp = f.make_experiment(session)
    for i in range(1, 10):
        f.make_plant(session, exp, code=f"VFT-{i:03d}")
    session.flush()
    pages = []
    at = 0
    while at is not None:
        with count_statements(connection) as statements:
            page = baseline_queue(session, exp.id, at=at, limit=4, progress=False)
        assert not any("count(" in s.lower() for s in statements)
        assert page.done is page.total is page.remaining is None
        pages.append([p.plant_code for p in page.plants])
        at = page.next_at
    assert pages == [["VFT-001", "VFT-002", "VFT-003", "VFT-004"],
                     ["VFT-005", "VFT-006", "VFT-007", "VFT-008"], ["VFT-009"]]
    exact = baseline_queue(session, exp.id, at=4, limit=5, progress=False)
    assert len(exact.plants) == 5 and exact.next_at is None  # the last page, full
