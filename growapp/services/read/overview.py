"""Read models for the overview hub and the tent map, in a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import exists, func, literal, or_, select
from sqlalchemy.orm import Session, aliased

from ...models import Plant, PlantMetric, Slot, Species, Tent, Tray, TrayPlant
from ..errors import Invalid
from ..like import contains
from ..plants import Location, needs_clause
from ..tents import list_tents
from ..trays import TrayRow, list_trays
from .paging import take_whole

FILTERS = ("active", "removed", "needs_baseline", "needs_grade", "needs_placement",
           "needs_tray_recipe", "needs_tent_restriction")


@dataclass(slots=True)
class PlantLine:
    """The columns a roster row shows (plain tuples: 1,000 rows must stay cheap)."""

    id: int
    uuid: str
    plant_code: str
    cultivar: str
    grade: str | None
    status: str
    species_id: int
    species_name: str


@dataclass(slots=True)
class RosterRow:
    plant: PlantLine
    location: Location
    has_baseline: bool


@dataclass
class TrayGroup:
    row: TrayRow
    plants: list[RosterRow] = field(default_factory=list)


@dataclass
class TentGroup:
    tent: Tent | None  # None: trays not in any slot
    trays: list[TrayGroup] = field(default_factory=list)
    continued: bool = False  # the tent began on an earlier page of the roster
    tent_key: int | None = None


@dataclass
class Roster:
    """One page of the roster: whole trays (tent → tray) until about ``ROW_BUDGET`` rows,
    then the unplaced. ``next_at`` is where the next page begins (None: this is the last)."""

    groups: list[TentGroup]
    unplaced: list[RosterRow]
    shown: int  # plants matching, over every page
    removed_count: int
    unplaced_count: int = 0
    at: int = 0
    next_at: int | None = None
    unplaced_continued: bool = False


@dataclass
class MapSlot:
    slot: Slot
    tray: TrayRow | None


@dataclass
class MapTent:
    tent: Tent
    shelves: list[list[MapSlot]]


def experiment_locations(session: Session, experiment_id: int,
                         trays: list[TrayRow]) -> dict[int, Location]:
    """{plant_id: Location} for every placed plant, reusing the loaded trays (one query)."""
    by_tray = {r.tray.id: Location(r.tray, r.slot, r.tent, r.recipe) for r in trays}
    rows = session.execute(
        select(TrayPlant.plant_id, TrayPlant.tray_id).join(Tray, Tray.id == TrayPlant.tray_id)
        .where(Tray.experiment_id == experiment_id)).all()
    return {pid: by_tray[tid] for pid, tid in rows}


def tent_map(tents: list[Tent], trays: list[TrayRow]) -> list[MapTent]:
    by_slot = {r.slot.id: r for r in trays if r.slot}
    out = []
    for tent in tents:
        shelves: dict[int, list[MapSlot]] = {}
        for slot in tent.slots:
            shelves.setdefault(slot.shelf_index, []).append(MapSlot(slot, by_slot.get(slot.id)))
        out.append(MapTent(tent, [shelves[k] for k in sorted(shelves)]))
    return out


ROW_BUDGET = 120  # plants + tray heads on one page of the roster: a few phone screens


def _matching(stmt, experiment_id: int, filter_: str, q: str | None):
    stmt = stmt.where(Plant.experiment_id == experiment_id)
    if filter_ == "removed":
        stmt = stmt.where(Plant.status == "removed")
    elif filter_ == "active":
        stmt = stmt.where(Plant.status == "active")
    else:
        stmt = stmt.where(needs_clause(filter_.removeprefix("needs_")))
    if q and q.strip():
        text = q.strip()[:100]  # LIKE wildcards in it are matched literally (like.py)
        stmt = stmt.join(Species, Species.id == Plant.species_id).where(or_(
            contains(Plant.plant_code, text), contains(Plant.cultivar, text),
            contains(Species.common_name, text)))
    return stmt


def _lines(session: Session, stmt) -> list[tuple[PlantLine, bool, int | None]]:
    return [(PlantLine(pid, str(puuid), code, cultivar, grade, status, sid, name), bool(base),
             tray_id)
            for pid, puuid, code, cultivar, grade, status, sid, name, base, tray_id
            in session.execute(stmt)]


def roster(session: Session, experiment_id: int, *, filter_: str | None = None,
           q: str | None = None, tents: list[Tent] | None = None,
           trays: list[TrayRow] | None = None, at: int = 0,
           budget: int | None = None) -> Roster:
    """One page of plants grouped tent → tray, then the unplaced, filtered by a chip and a
    search. ``at`` counts tray entries (a tent without trays is one), then unplaced plants.
    Four queries whatever the trial's size: per-tray and unplaced counts, the page's plants,
    the page's unplaced, the removed count (tents and trays come loaded)."""
    filter_ = filter_ or "active"
    if filter_ not in FILTERS:
        raise Invalid(errors={"filter": [f"Use one of {', '.join(FILTERS)}."]})
    at = max(int(at or 0), 0)
    budget = budget or ROW_BUDGET
    tents = tents if tents is not None else list_tents(session, experiment_id)
    trays = trays if trays is not None else list_trays(session, experiment_id)
    filtered = filter_ != "active" or bool(q and q.strip())
    # An alias: the filters' own EXISTS on TrayPlant must not correlate with this join.
    tp = aliased(TrayPlant)
    # Matching plants per tray, and the unplaced ones under None: one pass over the plants.
    counts = dict(session.execute(_matching(
        select(tp.tray_id, func.count(Plant.id)).outerjoin(tp, tp.plant_id == Plant.id),
        experiment_id, filter_, q).group_by(tp.tray_id)).all())
    unplaced_count = counts.pop(None, 0)
    removed_count = session.scalar(select(func.count(Plant.id)).where(
        Plant.experiment_id == experiment_id, Plant.status == "removed")) or 0

    # The roster's spine: every tray in tent and slot order (a tent without trays: one entry).
    slot_order = {s.id: (s.shelf_index, s.position) for t in tents for s in t.slots}
    by_tent: dict[int | None, list[TrayRow]] = {t.id: [] for t in tents}
    for row in sorted(trays, key=lambda r: slot_order.get(r.slot.id if r.slot else -1,
                                                          (999, 999))):
        by_tent.setdefault(row.tent.id if row.tent else None, []).append(row)
    tent_by_id = {t.id: t for t in tents}
    spine: list[tuple[int | None, TrayRow | None]] = []
    for tent_id in [t.id for t in tents] + ([None] if None in by_tent else []):
        rows = by_tent.get(tent_id, [])
        if filtered:
            rows = [r for r in rows if counts.get(r.tray.id)]
            if not rows:
                continue
        spine += [(tent_id, r) for r in rows] if rows else [(tent_id, None)]

    sizes = [1 + (counts.get(row.tray.id, 0) if row else 0) for _t, row in spine]
    i = take_whole(sizes, at, budget)
    picked = spine[at:i]
    used = sum(sizes[at:i])
    unplaced_from = max(at - len(spine), 0)
    unplaced_take = max(budget - used, 0) if i >= len(spine) else 0
    if at > len(spine) and unplaced_take == 0:
        unplaced_take = budget

    name_of = aliased(Species)  # the search may join Species itself
    base_cols = (Plant.id, Plant.uuid, Plant.plant_code, Plant.cultivar, Plant.grade,
                 Plant.status, Plant.species_id,
                 select(name_of.common_name).where(name_of.id == Plant.species_id)
                 .correlate(Plant).scalar_subquery(),
                 exists().where(PlantMetric.plant_id == Plant.id, PlantMetric.week_number == 0,
                                PlantMetric.voided_at.is_(None)))
    tray_ids = [row.tray.id for _t, row in picked if row is not None]
    placed = _lines(session, _matching(
        select(*base_cols, tp.tray_id).join(tp, tp.plant_id == Plant.id)
        .where(tp.tray_id.in_(tray_ids)), experiment_id, filter_, q)
        .order_by(Plant.plant_code))  # run even when empty: a fixed statement count
    unplaced_lines = _lines(session, _matching(
        select(*base_cols, literal(None)).where(~exists().where(TrayPlant.plant_id == Plant.id)),
        experiment_id, filter_, q).order_by(Plant.plant_code)
        .offset(unplaced_from).limit(unplaced_take))

    groups: list[TentGroup] = []
    tray_groups: dict[int, TrayGroup] = {}
    seen_before = {tent_id for tent_id, _r in spine[:at]}
    for tent_id, row in picked:
        if not groups or groups[-1].tent_key != tent_id:
            groups.append(TentGroup(tent_by_id.get(tent_id), continued=tent_id in seen_before,
                                    tent_key=tent_id))
        if row is not None:
            tray_groups[row.tray.id] = TrayGroup(row)
            groups[-1].trays.append(tray_groups[row.tray.id])
    by_tray = {r.tray.id: Location(r.tray, r.slot, r.tent, r.recipe) for r in trays}
    for line, has_baseline, tray_id in placed:
        tray_groups[tray_id].plants.append(RosterRow(line, by_tray[tray_id], has_baseline))
    unplaced = [RosterRow(line, Location(), has_baseline)
                for line, has_baseline, _t in unplaced_lines]
    end = len(spine) + unplaced_from + len(unplaced)
    more = i < len(spine) or (end < len(spine) + unplaced_count)
    next_at = (i if i < len(spine) else end) if more else None
    return Roster(groups=groups, unplaced=unplaced, shown=sum(counts.values()) + unplaced_count,
                  removed_count=removed_count, unplaced_count=unplaced_count, at=at,
                  next_at=next_at, unplaced_continued=unplaced_from > 0)
