"""The feeding queue: active, placed plants not fed within the experiment's window, in the
walk's order (tent, tray, plant code), paged by whole trays for the pages and by plants for
the API, with what blocks feeding."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session

from ...models import (
    Experiment,
    FeedingLog,
    Plant,
    Recipe,
    Slot,
    Species,
    Tent,
    Tray,
    TrayPlant,
    utcnow,
)
from ..clock import day_start, zone_of
from ..experiments import get_experiment
from .paging import take_whole
from .walk import TRAY_ORDER

LIVE = FeedingLog.voided_at.is_(None)  # voided feeds count nowhere


@dataclass(slots=True)
class QueueItem:
    plant_id: int
    plant_uuid: str
    plant_code: str
    species_name: str
    tray_id: int
    tray_code: str
    tray_uuid: str
    tent_code: str | None
    slot_code: str | None
    recipe_code: str | None
    recipe_colour: str | None
    last_fed_at: datetime | None


@dataclass
class FeedingQueue:
    experiment: Experiment
    due: list[QueueItem]  # this page's plants (every due plant when not paged)
    blockers: list[str]
    window_days: int
    total: int = 0  # due plants over every page
    at: int = 0
    next_at: int | None = None  # the tray index the next page begins at (None: last page)


QUEUE_BUDGET = 100  # due plants per page of the feeding queue (whole trays)


def _due_where(experiment: Experiment, now: datetime, today_began: datetime) -> list:
    """Active plants with no live feeding within the window and no skip today: one probe of
    the (plant_id, fed_at) index per plant, from the earlier of the two bounds (two NOT
    EXISTS, one per bound, cost twice that at 5,000 plants)."""
    since = now - timedelta(days=experiment.feeding_window_days)
    counts = exists().where(
        FeedingLog.plant_id == Plant.id, LIVE, FeedingLog.fed_at >= min(since, today_began),
        or_(and_(FeedingLog.status == "fed", FeedingLog.fed_at >= since),
            and_(FeedingLog.status == "skipped", FeedingLog.fed_at >= today_began)))
    return [Plant.status == "active", ~counts]


def _pick_trays(sizes: list[int], at: int, budget: int | None, offset: int,
                limit: int | None) -> tuple[int, int, int]:
    """(first tray, tray after the last, plants to skip in the first) for a page of whole
    trays from tray ``at`` (``budget``), of ``limit`` plants from the ``offset``-th, or of
    every tray."""
    if budget is not None:
        return at, take_whole(sizes, at, budget), 0
    if limit is None:
        return 0, len(sizes), 0
    first, before = 0, 0
    while first < len(sizes) and before + sizes[first] <= offset:
        before += sizes[first]
        first += 1
    last, upto = first, before
    while last < len(sizes) and upto < offset + limit:
        upto += sizes[last]
        last += 1
    return first, last, offset - before


def _due_per_tray(session: Session, experiment_id: int, due: list):
    """(tray id, code, has no recipe, due plants) for the experiment's trays (SQLite: with
    none due too), walking the experiment's trays rather than every plant and then its tray.

    On SQLite Plant.experiment_id stays out (the trays are the experiment's): with it
    SQLite walks every plant of the experiment, that index looking narrower. The form is
    the engine's: SQLite runs a count per tray (5.1 ms at 5,000 plants against 7.4
    grouped); PostgreSQL plans that count per tray as a hash join over every plant, 100
    times (150 ms), and groups one join instead (5.5 ms)."""
    if session.get_bind().dialect.name == "postgresql":
        in_trays = select(Tray.id).where(Tray.experiment_id == experiment_id)
        grouped = (select(TrayPlant.tray_id.label("tray_id"), func.count().label("n"))
                   .join(Plant, Plant.id == TrayPlant.plant_id)
                   .where(TrayPlant.tray_id.in_(in_trays),
                          Plant.experiment_id == experiment_id, *due)
                   .group_by(TrayPlant.tray_id).subquery())
        return (select(Tray.id, Tray.code, Tray.recipe_id.is_(None), grouped.c.n)
                .join(grouped, grouped.c.tray_id == Tray.id)
                .outerjoin(Slot, Slot.id == Tray.slot_id)
                .outerjoin(Tent, Tent.id == Slot.tent_id))
    n = (select(func.count()).select_from(TrayPlant).join(Plant, Plant.id == TrayPlant.plant_id)
         .where(TrayPlant.tray_id == Tray.id, *due).correlate(Tray).scalar_subquery())
    return (select(Tray.id, Tray.code, Tray.recipe_id.is_(None), n)
            .outerjoin(Slot, Slot.id == Tray.slot_id).outerjoin(Tent, Tent.id == Slot.tent_id)
            .where(Tray.experiment_id == experiment_id))  # trays with none due: dropped after


def feeding_queue(session: Session, experiment_id: int, *, now: datetime | None = None,
                  at: int = 0, budget: int | None = None, offset: int = 0,
                  limit: int | None = None) -> FeedingQueue:
    """Active, placed plants not fed within the window (a skip counts for its day, "today"
    in the installation's zone; voided logs count not at all), ordered by tent, tray, plant
    code. ``budget``: one page of whole trays from tray ``at`` until about that many plants
    (the pages); ``limit``: ``limit`` plants from the ``offset``-th (the API); neither:
    every due plant. Four queries in every case; ``total`` counts every due plant.

    The due plants are counted per tray (``_due_per_tray``); the plants themselves are
    read only for the trays the page shows, so a page costs no more for what lies after
    it."""
    experiment = get_experiment(session, experiment_id)
    now = now or utcnow()
    due = _due_where(experiment, now, day_start(zone_of(session), now))
    per_tray = [r for r in session.execute(
        _due_per_tray(session, experiment.id, due).order_by(*TRAY_ORDER)) if r[3]]
    total = sum(r[3] for r in per_tray)
    at = max(int(at or 0), 0)
    offset = max(int(offset or 0), 0)
    first, i, skip = _pick_trays([r[3] for r in per_tray], at, budget, offset, limit)
    picked = [r[0] for r in per_tray[first:i]]
    last_fed = (select(func.max(FeedingLog.fed_at)).where(
        FeedingLog.plant_id == Plant.id, FeedingLog.status == "fed", LIVE)
        .correlate(Plant).scalar_subquery())
    stmt = (select(Plant.id, Plant.uuid, Plant.plant_code, Species.common_name, Tray.id,
                   Tray.code, Tray.uuid, Tent.code, Slot.code, Recipe.code, Recipe.colour,
                   last_fed)
            .join(Species, Species.id == Plant.species_id)
            .join(TrayPlant, TrayPlant.plant_id == Plant.id)
            .join(Tray, Tray.id == TrayPlant.tray_id)
            .outerjoin(Slot, Slot.id == Tray.slot_id).outerjoin(Tent, Tent.id == Slot.tent_id)
            .outerjoin(Recipe, Recipe.id == Tray.recipe_id)
            .where(TrayPlant.tray_id.in_(picked), *due)
            .order_by(*TRAY_ORDER, Plant.plant_code))
    if budget is None and limit is not None:
        stmt = stmt.offset(skip).limit(limit)
    rows = session.execute(stmt).all()
    due_items = [QueueItem(r[0], str(r[1]), r[2], r[3], r[4], r[5], str(r[6]), r[7], r[8],
                           r[9], r[10], r[11]) for r in rows]
    blockers = []
    if experiment.status != "running":
        blockers.append(f"The experiment is {experiment.status}: feeding is logged only while it "
                        "runs.")
    unplaced = session.scalar(select(func.count(Plant.id)).where(
        Plant.experiment_id == experiment.id, Plant.status == "active",
        ~Plant.id.in_(select(TrayPlant.plant_id)))) or 0
    if unplaced:
        blockers.append(f"{unplaced} active plant{'s are' if unplaced != 1 else ' is'} not in a "
                        "tray and cannot be fed.")
    no_recipe = sorted({r[1] for r in per_tray if r[2]})
    if no_recipe:
        blockers.append("Tray" + ("s " if len(no_recipe) > 1 else " ") + ", ".join(no_recipe)
                        + " ha" + ("ve" if len(no_recipe) > 1 else "s") + " no recipe.")
    return FeedingQueue(experiment=experiment, due=due_items, blockers=blockers,
                        window_days=experiment.feeding_window_days, total=total, at=at,
                        next_at=i if budget is not None and i < len(per_tray) else None)
