"""The feeding queue's reads: which plant is due (one probe per plant covers the window
and today's skip), and pages — of whole trays or of ``limit`` plants from an offset — that
are exact slices of the whole queue, counted per tray and read only for the trays shown."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from growapp.models import FeedingLog
from growapp.services.read import feeding_queue as feeding
from tests.helpers import factories as f

NOW = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)


def log(session, plant, status: str, ago: timedelta, *, voided: bool = False):
    session.add(FeedingLog(plant_id=plant.id, status=status, fed_at=NOW - ago,
                           reason="wilted" if status == "skipped" else "",
                           voided_at=NOW if voided else None))


def codes(queue) -> list[str]:
    return [item.plant_code for item in queue.due]


def test_due_means_no_live_feed_in_the_window_and_no_live_skip_today(session):
    exp, _trays, p, _r = f.make_running_experiment(session, plants=10, trays=2)
    log(session, p[0], "fed", timedelta(days=3))                  # fed lately: not due
    log(session, p[1], "fed", timedelta(days=8))                  # fed long ago: due
    log(session, p[2], "skipped", timedelta(hours=2))             # skipped today: not due
    log(session, p[3], "skipped", timedelta(hours=13))            # skipped yesterday: due
    log(session, p[4], "fed", timedelta(days=3), voided=True)     # voided feed: due
    log(session, p[5], "skipped", timedelta(hours=1), voided=True)  # voided skip: due
    log(session, p[6], "skipped", timedelta(days=3))              # old skip only: due
    log(session, p[7], "fed", timedelta(days=6, hours=23))        # just inside: not due
    log(session, p[8], "fed", timedelta(days=8))
    log(session, p[8], "skipped", timedelta(minutes=5))           # old feed, skip today
    session.flush()
    queue = feeding.feeding_queue(session, exp.id, now=NOW)
    due = {"VFT-002", "VFT-004", "VFT-005", "VFT-006", "VFT-007", "VFT-010"}
    assert set(codes(queue)) == due and queue.total == len(due)
    assert codes(feeding.feeding_queue(session, exp.id, now=NOW, limit=50)) == codes(queue)


@pytest.fixture
def uneven(session):
    """Running, 5 trays of 6, 6, 6, 6, 5 plants; TR2 all fed, TR4 half fed, TR1 one fed:
    due per tray 5, 0, 6, 3, 5 (19 in all)."""
    exp, trays, plants, _r = f.make_running_experiment(session, plants=29, trays=5)
    by_tray = {t.id: [p for i, p in enumerate(plants) if i % 5 == n]
               for n, t in enumerate(trays)}
    fed = by_tray[trays[1].id] + by_tray[trays[3].id][:3] + by_tray[trays[0].id][:1]
    for plant in fed:
        log(session, plant, "fed", timedelta(days=1))
    session.flush()
    return exp


def test_api_pages_are_exact_slices_of_the_whole_queue(session, uneven):
    whole = feeding.feeding_queue(session, uneven.id, now=NOW)
    assert whole.total == 19 and len(whole.due) == 19
    order = [(i.tent_code, len(i.tray_code), i.tray_code, i.plant_code) for i in whole.due]
    assert order == sorted(order)
    for limit in (1, 4, 5, 6, 7, 50):
        for offset in range(0, 22):
            page = feeding.feeding_queue(session, uneven.id, now=NOW, offset=offset,
                                         limit=limit)
            assert page.total == 19
            assert codes(page) == codes(whole)[offset:offset + limit], (offset, limit)
            assert [i.last_fed_at for i in page.due] == \
                [i.last_fed_at for i in whole.due][offset:offset + limit]


def test_tray_pages_are_whole_trays_and_cover_the_queue(session, uneven):
    whole = feeding.feeding_queue(session, uneven.id, now=NOW)
    seen, at, pages = [], 0, []
    while at is not None:
        page = feeding.feeding_queue(session, uneven.id, now=NOW, at=at, budget=6)
        assert page.total == 19
        pages.append(sorted({i.tray_code for i in page.due}))
        seen += codes(page)
        at = page.next_at
    assert seen == codes(whole)
    assert pages == [["TR1", "TR3"], ["TR4", "TR5"]]  # TR2 has nobody due: no page of its own


def test_blockers_still_name_unplaced_plants_and_trays_without_recipe(session, uneven):
    f.make_plant(session, uneven, code="VFT-100")  # unplaced
    bare = f.make_tray(session, uneven, "TR9", capacity=2)
    f.make_plant(session, uneven, code="VFT-101", tray=bare)
    queue = feeding.feeding_queue(session, uneven.id, now=NOW, limit=3)
    assert queue.total == 20
    assert "1 active plant is not in a tray and cannot be fed." in queue.blockers
    assert "Tray TR9 has no recipe." in queue.blockers
