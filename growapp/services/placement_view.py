"""The placement page's read model: trays with their plants and valid add choices."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Plant, Tent, tent_allowed_species
from .overview import MapTent, experiment_locations, tent_map
from .placement import placeable_plants
from .tents import list_tents
from .trays import TrayRow, list_trays


@dataclass
class TrayCard:
    row: TrayRow
    plants: list[Plant] = field(default_factory=list)
    choices: list[Plant] = field(default_factory=list)
    why_none: str = ""


@dataclass
class PlacementView:
    cards: list[TrayCard]
    unplaced: list[Plant]
    tent_map: list[MapTent]


def placement_view(session: Session, experiment_id: int) -> PlacementView:
    tents = list_tents(session, experiment_id)
    trays = list_trays(session, experiment_id)
    unplaced = placeable_plants(session, experiment_id)
    locs = experiment_locations(session, experiment_id)
    placed_ids = list(locs)
    placed = {p.id: p for p in session.scalars(
        select(Plant).where(Plant.id.in_(placed_ids)).order_by(Plant.plant_code))} \
        if placed_ids else {}
    restrictions: dict[int, set[int]] = defaultdict(set)
    for tent_id, species_id in session.execute(
            select(tent_allowed_species.c.tent_id, tent_allowed_species.c.species_id)
            .join(Tent, Tent.id == tent_allowed_species.c.tent_id)
            .where(Tent.experiment_id == experiment_id)):
        restrictions[tent_id].add(species_id)
    by_tray: dict[int, list[Plant]] = defaultdict(list)
    for plant_id, loc in locs.items():
        if plant_id in placed:
            by_tray[loc.tray.id].append(placed[plant_id])
    cards = []
    for row in trays:
        card = TrayCard(row, sorted(by_tray[row.tray.id], key=lambda p: p.plant_code))
        allowed = restrictions.get(row.tent.id) if row.tent else None
        if row.occupancy >= row.tray.capacity:
            card.why_none = f"{row.tray.code} is full ({row.occupancy}/{row.tray.capacity})."
        elif not unplaced:
            card.why_none = "Every active plant is placed."
        else:
            card.choices = [p for p in unplaced if allowed is None or p.species_id in allowed]
            if not card.choices:
                card.why_none = (f"Tent {row.tent.code} allows only "
                                 "species that no unplaced plant has.")
        cards.append(card)
    return PlacementView(cards=cards, unplaced=unplaced, tent_map=tent_map(tents, trays))
