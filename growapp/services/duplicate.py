"""Duplicate an experiment's setup: tents (layout, slots, allowed species), recipes and trays
(capacity, slot, recipe), and optionally its active plants (code, species, cultivar; no
grade, tray or measurements: a new trial grades, places and measures afresh)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ..models import Experiment, Plant, Recipe, Slot, Tent, Tray, User
from .events import record_event
from .experiments import NAME_MAX, create_experiment, get_experiment


def copy_name(name: str) -> str:
    suffix = " (copy)"
    return name[:NAME_MAX - len(suffix)] + suffix


def duplicate_experiment(session: Session, *, experiment_id: int, actor: User,
                         name: str | None = None, include_plants: bool = False) -> Experiment:
    """A new draft with the source's setup. Raises NotFound, Forbidden (viewer), Invalid
    (name)."""
    source = get_experiment(session, experiment_id)
    copy = create_experiment(session, actor=actor, name=name or copy_name(source.name),
                             description=source.description,
                             feeding_window_days=source.feeding_window_days,
                             short_name=source.short_name)
    slot_map: dict[int, int] = {}
    for tent in session.scalars(select(Tent).where(Tent.experiment_id == source.id)
                                .options(selectinload(Tent.slots),
                                         selectinload(Tent.allowed_species))
                                .order_by(Tent.code)):
        new_tent = Tent(experiment_id=copy.id, code=tent.code, name=tent.name,
                        layout=dict(tent.layout))
        new_tent.allowed_species = list(tent.allowed_species)
        session.add(new_tent)
        session.flush()
        for slot in tent.slots:
            new_slot = Slot(tent_id=new_tent.id, shelf_index=slot.shelf_index,
                            position=slot.position, code=slot.code)
            session.add(new_slot)
            session.flush()
            slot_map[slot.id] = new_slot.id
    recipe_map: dict[int, int] = {}
    for recipe in session.scalars(select(Recipe).where(Recipe.experiment_id == source.id)
                                  .order_by(Recipe.code)):
        new_recipe = Recipe(experiment_id=copy.id, code=recipe.code, name=recipe.name,
                            product=recipe.product, concentration=recipe.concentration,
                            unit=recipe.unit, volume_ml=recipe.volume_ml, colour=recipe.colour,
                            notes=recipe.notes)
        session.add(new_recipe)
        session.flush()
        recipe_map[recipe.id] = new_recipe.id
    trays = list(session.scalars(select(Tray).where(Tray.experiment_id == source.id)
                                 .order_by(Tray.id)))
    session.add_all(Tray(experiment_id=copy.id, code=t.code, name=t.name, capacity=t.capacity,
                         slot_id=slot_map.get(t.slot_id), recipe_id=recipe_map.get(t.recipe_id))
                    for t in trays)
    plants = []
    if include_plants:
        plants = list(session.scalars(select(Plant).where(
            Plant.experiment_id == source.id, Plant.status == "active").order_by(Plant.plant_code)))
        session.add_all(Plant(experiment_id=copy.id, plant_code=p.plant_code,
                              species_id=p.species_id, cultivar=p.cultivar,
                              planted_on=p.planted_on, notes=p.notes) for p in plants)
    session.flush()
    record_event(session, kind="experiment.duplicated", actor=actor, experiment_id=copy.id,
                 summary=f"Copied the setup of {source.name}"
                         + (f" with {len(plants)} plants" if include_plants else ""),
                 payload={"from_experiment_id": source.id, "slots": len(slot_map),
                          "trays": len(trays), "recipes": len(recipe_map),
                          "plants": len(plants)})
    return copy
