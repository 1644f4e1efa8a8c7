"""The placement page's read model: trays with their plants and valid add choices.

Valid choices are shared per tent restriction (one list for unrestricted trays, one per
distinct allowed-species set), so a page with 100 trays and 1,000 unplaced plants renders
each plant once, not once per tray.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from ...models import Plant, Species, TrayPlant
from ..tents import list_tents, tent_restrictions
from ..trays import TrayRow, list_trays
from .overview import MapTent, PlantLine, experiment_locations, tent_map


@dataclass
class TrayCard:
    row: TrayRow
    plants: list[PlantLine] = field(default_factory=list)
    choices_id: str | None = None  # id of the shared list of plants this tray may take
    why_none: str = ""


@dataclass
class PlacementView:
    cards: list[TrayCard]
    unplaced: list[PlantLine]
    choices: dict[str, list[PlantLine]]
    tent_map: list[MapTent]


def _lines(session: Session, stmt) -> list[PlantLine]:
    return [PlantLine(pid, str(puuid), code, cultivar, grade, status, sid, name)
            for pid, puuid, code, cultivar, grade, status, sid, name in session.execute(stmt)]


def placement_view(session: Session, experiment_id: int) -> PlacementView:
    tents = list_tents(session, experiment_id)
    trays = list_trays(session, experiment_id)
    base = (select(Plant.id, Plant.uuid, Plant.plant_code, Plant.cultivar, Plant.grade,
                   Plant.status, Plant.species_id, Species.common_name)
            .join(Species, Species.id == Plant.species_id)
            .where(Plant.experiment_id == experiment_id).order_by(Plant.plant_code))
    placed_stmt = base.where(exists().where(TrayPlant.plant_id == Plant.id))
    unplaced = _lines(session, base.where(Plant.status == "active",
                                          ~exists().where(TrayPlant.plant_id == Plant.id)))
    placed = {line.id: line for line in _lines(session, placed_stmt)}
    locs = experiment_locations(session, experiment_id, trays)
    restrictions = tent_restrictions(session, experiment_id)
    by_tray: dict[int, list[PlantLine]] = defaultdict(list)
    for plant_id, loc in locs.items():
        by_tray[loc.tray.id].append(placed[plant_id])
    choices: dict[str, list[PlantLine]] = {}
    cards = []
    for row in trays:
        card = TrayCard(row, sorted(by_tray[row.tray.id], key=lambda p: p.plant_code))
        allowed = restrictions.get(row.tent.id) if row.tent else None
        key = "choices-any" if allowed is None else \
            "choices-" + "-".join(str(i) for i in sorted(allowed))
        if key not in choices:
            choices[key] = [p for p in unplaced if allowed is None or p.species_id in allowed]
        if row.occupancy >= row.tray.capacity:
            card.why_none = f"{row.tray.code} is full ({row.occupancy}/{row.tray.capacity})."
        elif not unplaced:
            card.why_none = "Every active plant is placed."
        elif not choices[key]:
            card.why_none = (f"Tent {row.tent.code} allows only species that no unplaced "
                             "plant has.")
        else:
            card.choices_id = key
        cards.append(card)
    used = {c.choices_id for c in cards if c.choices_id}
    return PlacementView(cards=cards, unplaced=unplaced,
                         choices={k: v for k, v in choices.items() if k in used},
                         tent_map=tent_map(tents, trays))
