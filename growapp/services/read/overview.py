"""Read models for the overview hub and the tent map, in a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from ...models import Plant, PlantMetric, Slot, Species, Tent, Tray, TrayPlant
from ..errors import Invalid
from ..like import contains
from ..plants import Location, needs_clause
from ..tents import list_tents
from ..trays import TrayRow, list_trays

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


@dataclass
class Roster:
    groups: list[TentGroup]
    unplaced: list[RosterRow]
    shown: int
    removed_count: int


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


def roster(session: Session, experiment_id: int, *, filter_: str | None = None,
           q: str | None = None, tents: list[Tent] | None = None,
           trays: list[TrayRow] | None = None) -> Roster:
    """Plants grouped tent → tray, plus the unplaced, filtered by a chip and a search."""
    filter_ = filter_ or "active"
    if filter_ not in FILTERS:
        raise Invalid(errors={"filter": [f"Use one of {', '.join(FILTERS)}."]})
    stmt = (select(Plant.id, Plant.uuid, Plant.plant_code, Plant.cultivar, Plant.grade,
                   Plant.status, Plant.species_id, Species.common_name)
            .join(Species, Species.id == Plant.species_id)
            .where(Plant.experiment_id == experiment_id))
    if filter_ == "removed":
        stmt = stmt.where(Plant.status == "removed")
    elif filter_ == "active":
        stmt = stmt.where(Plant.status == "active")
    else:
        stmt = stmt.where(needs_clause(filter_.removeprefix("needs_")))
    if q and q.strip():
        text = q.strip()[:100]
        stmt = stmt.where(or_(contains(Plant.plant_code, text), contains(Plant.cultivar, text),
                              contains(Species.common_name, text)))
    plants = [PlantLine(pid, str(puuid), code, cultivar, grade, status, sid, name)
              for pid, puuid, code, cultivar, grade, status, sid, name
              in session.execute(stmt.order_by(Plant.plant_code))]
    tents = tents if tents is not None else list_tents(session, experiment_id)
    trays = trays if trays is not None else list_trays(session, experiment_id)
    locations = experiment_locations(session, experiment_id, trays)
    with_baseline = set(session.scalars(
        select(PlantMetric.plant_id).join(Plant, Plant.id == PlantMetric.plant_id)
        .where(Plant.experiment_id == experiment_id, PlantMetric.week_number == 0,
               PlantMetric.voided_at.is_(None))))
    removed_count = session.scalar(select(func.count(Plant.id)).where(
        Plant.experiment_id == experiment_id, Plant.status == "removed")) or 0

    groups: dict[int | None, TentGroup] = {t.id: TentGroup(t) for t in tents}
    tray_groups: dict[int, TrayGroup] = {}
    slot_order = {s.id: (s.shelf_index, s.position) for t in tents for s in t.slots}
    for row in sorted(trays, key=lambda r: slot_order.get(r.slot.id if r.slot else -1,
                                                          (999, 999))):
        tent_id = row.tent.id if row.tent else None
        group = groups.setdefault(tent_id, TentGroup(None))
        tray_groups[row.tray.id] = TrayGroup(row)
        group.trays.append(tray_groups[row.tray.id])
    unplaced = []
    for plant in plants:
        loc = locations.get(plant.id, Location())
        entry = RosterRow(plant, loc, plant.id in with_baseline)
        if loc.tray is not None and loc.tray.id in tray_groups:
            tray_groups[loc.tray.id].plants.append(entry)
        else:
            unplaced.append(entry)
    filtered = filter_ != "active" or bool(q and q.strip())
    ordered = [groups[t.id] for t in tents] + ([groups[None]] if None in groups else [])
    for group in ordered:
        if filtered:
            group.trays = [tg for tg in group.trays if tg.plants]
    if filtered:
        ordered = [g for g in ordered if g.trays]
    return Roster(groups=ordered, unplaced=unplaced, shown=len(plants),
                  removed_count=removed_count)
