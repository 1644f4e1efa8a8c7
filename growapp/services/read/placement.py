"""The placement page's read model, a page at a time: whole trays (with their plants) until
about ``PAGE_BUDGET`` rows, the unplaced plants ``UNPLACED_PAGE`` at a time, and the add
pickers' suggestions — a fixed number of queries whatever the trial's size.

A search (``q``: code, cultivar or species) narrows both lists. Suggestions are shared per
tent restriction (one list for unrestricted trays, one per distinct allowed-species set) and
hold the first ``CHOICES`` unplaced plants; typing asks the server for more
(``placement_choices``). Why a tray offers nothing comes from per-species counts of every
unplaced plant, not from the loaded page.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from ...models import Plant, Species, TrayPlant
from ..like import contains
from ..tents import list_tents, tent_restrictions
from ..trays import TrayRow, list_trays
from .overview import MapTent, PlantLine, tent_map
from .paging import take_whole

PAGE_BUDGET = 120  # plant rows + tray cards on one page: a few phone screens
UNPLACED_PAGE = 60
CHOICES = 50  # suggestions per add picker before the operator types


@dataclass
class TrayCard:
    row: TrayRow
    plants: list[PlantLine] = field(default_factory=list)
    choices_id: str | None = None  # id of the shared list of plants this tray may take
    why_none: str = ""
    matching: int = 0  # plants of the tray matching the search (all of them without one)


@dataclass
class PlacementView:
    cards: list[TrayCard]  # this page's trays
    unplaced: list[PlantLine]  # this page's unplaced plants
    choices: dict[str, list[PlantLine]]  # every restriction's first suggestions
    tent_map: list[MapTent]
    tray_count: int = 0
    unplaced_total: int = 0  # every active unplaced plant
    unplaced_count: int = 0  # those matching the search
    q: str = ""
    at: int = 0
    next_at: int | None = None  # the tray index the next page begins at (None: last page)
    unplaced_at: int = 0
    unplaced_next: int | None = None  # the offset of the next unplaced page


def _search(stmt, q: str):
    if not q:
        return stmt
    name = aliased(Species)
    return stmt.join(name, name.id == Plant.species_id).where(or_(
        contains(Plant.plant_code, q), contains(Plant.cultivar, q),
        contains(name.common_name, q)))


def _columns():
    return (Plant.id, Plant.uuid, Plant.plant_code, Plant.cultivar, Plant.grade, Plant.status,
            Plant.species_id, Species.common_name)


def _line(row) -> PlantLine:
    pid, puuid, code, cultivar, grade, status, sid, name = row[:8]
    return PlantLine(pid, str(puuid), code, cultivar, grade, status, sid, name)


def _unplaced_where(experiment_id: int):
    return (Plant.experiment_id == experiment_id, Plant.status == "active",
            ~exists().where(TrayPlant.plant_id == Plant.id))


def restriction_key(allowed: set[int] | None) -> str:
    return "choices-any" if allowed is None else \
        "choices-" + "-".join(str(i) for i in sorted(allowed))


def placement_choices(session: Session, experiment_id: int, *, allowed: set[int] | None,
                      typed: str = "", limit: int = CHOICES) -> list[PlantLine]:
    """Unplaced active plants a tray may take (its tent's allowed species), whose code,
    cultivar or species contains ``typed``; the first ``limit`` in code order. One query."""
    stmt = (select(*_columns()).join(Species, Species.id == Plant.species_id)
            .where(*_unplaced_where(experiment_id)))
    if allowed is not None:
        stmt = stmt.where(Plant.species_id.in_(sorted(allowed) or [-1]))
    return [_line(r) for r in session.execute(
        _search(stmt, typed.strip()[:100]).order_by(Plant.plant_code).limit(limit))]


def placement_view(session: Session, experiment_id: int, *, q: str = "", at: int = 0,
                   unplaced_at: int = 0, budget: int | None = None,
                   tray_id: int | None = None) -> PlacementView:
    """One page of trays from tray ``at`` and one page of unplaced plants from
    ``unplaced_at``, narrowed by ``q``; ``tray_id``: that tray's card alone (after a write).
    Seven queries (with the tents, the trays and the tents' restrictions)."""
    q = (q or "").strip()[:100]
    at, unplaced_at = max(int(at or 0), 0), max(int(unplaced_at or 0), 0)
    tents = list_tents(session, experiment_id)
    trays = list_trays(session, experiment_id)
    restrictions = tent_restrictions(session, experiment_id)
    tp = aliased(TrayPlant)  # the search's EXISTS on TrayPlant must not correlate with it
    counts = dict(session.execute(_search(
        select(tp.tray_id, func.count(Plant.id)).join(tp, tp.plant_id == Plant.id)
        .where(Plant.experiment_id == experiment_id), q).group_by(tp.tray_id)).all())
    listed = [r for r in trays if counts.get(r.tray.id)] if q else trays
    sizes = [1 + counts.get(r.tray.id, 0) for r in listed]
    end = take_whole(sizes, at, budget or PAGE_BUDGET)
    page = listed[at:end]
    if tray_id is not None:
        page, end = [r for r in trays if r.tray.id == tray_id], len(listed)

    # The first suggestions of every species, and every unplaced plant counted by species
    # ("why no choice" and the totals), in one pass over the unplaced plants (windows).
    rank = func.row_number().over(partition_by=Plant.species_id,
                                  order_by=Plant.plant_code).label("rank")
    per_species = func.count().over(partition_by=Plant.species_id).label("per_species")
    ranked = (select(*_columns(), rank, per_species)
              .join(Species, Species.id == Plant.species_id)
              .where(*_unplaced_where(experiment_id)).subquery())
    first_of = defaultdict(list)
    by_species: dict[int, int] = {}
    for row in session.execute(select(ranked).where(ranked.c.rank <= CHOICES)
                               .order_by(ranked.c.plant_code)):
        first_of[row.species_id].append(_line(row))
        by_species[row.species_id] = row.per_species
    # This page's unplaced plants and how many match, in one statement.
    unplaced_rows = session.execute(_search(
        select(*_columns(), func.count().over().label("total"))
        .join(Species, Species.id == Plant.species_id)
        .where(*_unplaced_where(experiment_id)), q)
        .order_by(Plant.plant_code).offset(unplaced_at).limit(UNPLACED_PAGE)).all()
    unplaced = [_line(r) for r in unplaced_rows]
    unplaced_count = unplaced_rows[0].total if unplaced_rows else (
        sum(by_species.values()) if not q and not unplaced_at else 0)
    # This page's trays' plants (placed plants of any status: removed ones still sit there).
    placed = session.execute(_search(
        select(*_columns(), tp.tray_id).join(Species, Species.id == Plant.species_id)
        .join(tp, tp.plant_id == Plant.id)
        .where(Plant.experiment_id == experiment_id,
               tp.tray_id.in_([r.tray.id for r in page] or [-1])), q)
        .order_by(Plant.plant_code)).all()
    by_tray: dict[int, list[PlantLine]] = defaultdict(list)
    for row in placed:
        by_tray[row.tray_id].append(_line(row))

    unplaced_total = sum(by_species.values())
    choices: dict[str, list[PlantLine]] = {}
    available: dict[str, int] = {}
    for row in trays:  # every restriction's list (later pages' trays use them too)
        allowed = restrictions.get(row.tent.id) if row.tent else None
        key = restriction_key(allowed)
        if key not in choices:
            species = by_species if allowed is None else \
                {s: n for s, n in by_species.items() if s in allowed}
            available[key] = sum(species.values())
            choices[key] = sorted((p for s in species for p in first_of.get(s, ())),
                                  key=lambda p: p.plant_code)[:CHOICES]
    cards = []
    for row in page:
        card = TrayCard(row, by_tray.get(row.tray.id, []),
                        matching=counts.get(row.tray.id, 0))
        key = restriction_key(restrictions.get(row.tent.id) if row.tent else None)
        if row.occupancy >= row.tray.capacity:
            card.why_none = f"{row.tray.code} is full ({row.occupancy}/{row.tray.capacity})."
        elif not unplaced_total:
            card.why_none = "Every active plant is placed."
        elif not available[key]:
            card.why_none = (f"Tent {row.tent.code} allows only species that no unplaced "
                             "plant has.")
        else:
            card.choices_id = key
        cards.append(card)
    following = unplaced_at + len(unplaced)
    return PlacementView(
        cards=cards, unplaced=unplaced, choices={k: v for k, v in choices.items() if v},
        tent_map=tent_map(tents, trays), tray_count=len(trays), unplaced_total=unplaced_total,
        unplaced_count=unplaced_count, q=q, at=at,
        next_at=end if end < len(listed) else None, unplaced_at=unplaced_at,
        unplaced_next=following if following < unplaced_count else None)
