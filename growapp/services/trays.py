"""Trays: the unit of assignment. Capacity, slot (one tray per slot), recipe."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from ..models import (
    FeedingLog,
    Plant,
    Recipe,
    RotationLog,
    Slot,
    Species,
    Tent,
    Tray,
    TrayPlant,
    User,
    tent_allowed_species,
)
from .codes import clean_code, next_codes
from .errors import Conflict, Invalid, NotFound
from .events import record_event
from .experiments import get_experiment, require_not_running
from .tents import tent_restrictions

UNSET = object()
MAX_CAPACITY = 500
TRAY_CODE_MAX = 24
MAX_BULK_TRAYS = 100  # trays added in one go


@dataclass
class TrayRow:
    tray: Tray
    occupancy: int
    slot: Slot | None
    tent: Tent | None
    recipe: Recipe | None


def get_tray(session: Session, tray_id: int, *, lock: bool = False) -> Tray:
    stmt = select(Tray).where(Tray.id == tray_id)
    if lock:
        stmt = stmt.with_for_update()
    tray = session.scalar(stmt)
    if tray is None:
        raise NotFound(f"Tray {tray_id} does not exist.")
    return tray


def occupancy(session: Session, tray_id: int) -> int:
    return session.scalar(select(func.count(TrayPlant.id)).where(TrayPlant.tray_id == tray_id)) or 0


def list_trays(session: Session, experiment_id: int) -> list[TrayRow]:
    """Every tray with occupancy, slot, tent and recipe, in one query."""
    counts = (select(TrayPlant.tray_id, func.count(TrayPlant.id).label("n"))
              .group_by(TrayPlant.tray_id).subquery())
    rows = session.execute(
        select(Tray, func.coalesce(counts.c.n, 0), Slot, Tent, Recipe)
        .outerjoin(counts, counts.c.tray_id == Tray.id)
        .outerjoin(Slot, Slot.id == Tray.slot_id)
        .outerjoin(Tent, Tent.id == Slot.tent_id)
        .outerjoin(Recipe, Recipe.id == Tray.recipe_id)
        .where(Tray.experiment_id == experiment_id)
        .order_by(func.length(Tray.code), Tray.code)).all()
    return [TrayRow(t, n, s, tent, r) for t, n, s, tent, r in rows]


def forbidden_species_in(session: Session, tray_id: int, tent_id: int) -> list[str]:
    """Common names of the tray's plants that the tent does not allow."""
    restricted = session.scalar(select(exists().where(tent_allowed_species.c.tent_id == tent_id)))
    if not restricted:
        return []
    allowed = select(tent_allowed_species.c.species_id).where(
        tent_allowed_species.c.tent_id == tent_id)
    return list(session.scalars(
        select(Species.common_name).distinct()
        .join(Plant, Plant.species_id == Species.id)
        .join(TrayPlant, TrayPlant.plant_id == Plant.id)
        .where(TrayPlant.tray_id == tray_id, Species.id.not_in(allowed))))


def free_slots(session: Session, experiment_id: int, tray: Tray | None = None) -> list[Slot]:
    """Slots without a tray (plus the tray's own) whose tent allows the tray's plants."""
    stmt = (select(Slot).join(Tent, Tent.id == Slot.tent_id)
            .where(Tent.experiment_id == experiment_id,
                   ~exists().where(Tray.slot_id == Slot.id, Tray.id != (tray.id if tray else -1)))
            .options(selectinload(Slot.tent))
            .order_by(Tent.code, Slot.shelf_index, Slot.position))
    if tray is not None:
        # The tent must be unrestricted or allow every species in the tray.
        unrestricted = ~exists().where(tent_allowed_species.c.tent_id == Slot.tent_id)
        misfit = (select(TrayPlant.id).join(Plant, Plant.id == TrayPlant.plant_id)
                  .where(TrayPlant.tray_id == tray.id,
                         ~exists().where(tent_allowed_species.c.tent_id == Slot.tent_id,
                                         tent_allowed_species.c.species_id == Plant.species_id)))
        stmt = stmt.where(unrestricted | ~exists(misfit))
    return list(session.scalars(stmt))


def _check_slot(session: Session, *, slot_id, tray: Tray | None, experiment_id: int) -> Slot:
    slot = session.get(Slot, slot_id) if isinstance(slot_id, int) else None
    tent = session.get(Tent, slot.tent_id) if slot else None
    if slot is None or tent.experiment_id != experiment_id:
        raise Invalid(errors={"slot_id": ["Choose a slot of this experiment."]})
    holder = session.scalar(select(Tray).where(Tray.slot_id == slot.id).with_for_update())
    if holder is not None and (tray is None or holder.id != tray.id):
        raise Conflict(f"Slot {slot.code} already holds tray {holder.code}.",
                       {"slot": slot.code, "tray": holder.code})
    if tray is not None:
        forbidden = forbidden_species_in(session, tray.id, tent.id)
        if forbidden:
            raise Conflict(f"Tent {tent.code} does not allow {', '.join(forbidden)}, "
                           f"which tray {tray.code} holds.",
                           {"tent": tent.code, "forbidden_species": forbidden})
    return slot


def _check_recipe(session: Session, recipe_id, experiment_id: int) -> Recipe:
    recipe = session.get(Recipe, recipe_id) if isinstance(recipe_id, int) else None
    if recipe is None or recipe.experiment_id != experiment_id:
        raise Invalid(errors={"recipe_id": ["Choose a recipe of this experiment."]})
    return recipe


def _check_capacity(capacity) -> int:
    if isinstance(capacity, bool) or not isinstance(capacity, int) \
            or not 1 <= capacity <= MAX_CAPACITY:
        raise Invalid(errors={"capacity": [f"Capacity is a whole number from 1 to "
                                           f"{MAX_CAPACITY}."]})
    return capacity


def _flush(session: Session, slot: Slot | None) -> None:
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:  # a concurrent request took the slot first
        raise Conflict(f"Slot {slot.code if slot else ''} was just taken by another tray.",
                       {}) from exc


def create_tray(session: Session, *, experiment_id: int, actor: User, capacity,
                code: str | None = None, name: str = "", slot_id=None, recipe_id=None) -> Tray:
    experiment = get_experiment(session, experiment_id, lock=True)
    require_not_running(experiment, "Trays")
    errors: dict[str, list[str]] = {}
    try:
        capacity = _check_capacity(capacity)
    except Invalid as exc:
        errors.update(exc.errors)
    codes = set(session.scalars(select(Tray.code).where(Tray.experiment_id == experiment.id)))
    if code:
        try:
            code = clean_code(code, max_len=TRAY_CODE_MAX)
        except Invalid as exc:
            errors.update(exc.errors)
        else:
            if code in codes:
                errors["code"] = [f"{code} is already used in this experiment."]
    recipe = None
    if recipe_id is not None:
        try:
            recipe = _check_recipe(session, recipe_id, experiment.id)
        except Invalid as exc:
            errors.update(exc.errors)
    if errors:
        raise Invalid(errors=errors)
    slot = _check_slot(session, slot_id=slot_id, tray=None, experiment_id=experiment.id) \
        if slot_id is not None else None
    tray = Tray(experiment_id=experiment.id, code=code or next_codes(codes, "TR")[0],
                name=(name or "").strip()[:120], capacity=capacity,
                slot_id=slot.id if slot else None, recipe_id=recipe.id if recipe else None)
    session.add(tray)
    _flush(session, slot)
    where = (f" in {slot.code}" if slot else "") + (f" with {recipe.code}" if recipe else "")
    record_event(session, kind="tray.created", actor=actor, experiment_id=experiment.id,
                 tray_id=tray.id, summary=f"Created tray {tray.code} (capacity {capacity}){where}")
    return tray


def create_trays(session: Session, *, experiment_id: int, actor: User, count, capacity,
                 recipe_id=None) -> list[Tray]:
    """Add ``count`` trays of ``capacity``, codes continuing the highest TR<n>, none in a slot.
    Raises Invalid (count, capacity, recipe), Conflict (running)."""
    experiment = get_experiment(session, experiment_id, lock=True)
    require_not_running(experiment, "Trays")
    errors: dict[str, list[str]] = {}
    if isinstance(count, bool) or not isinstance(count, int) \
            or not 1 <= count <= MAX_BULK_TRAYS:
        errors["count"] = [f"Add from 1 to {MAX_BULK_TRAYS} trays at a time."]
    try:
        capacity = _check_capacity(capacity)
    except Invalid as exc:
        errors.update(exc.errors)
    recipe = None
    if recipe_id is not None:
        try:
            recipe = _check_recipe(session, recipe_id, experiment.id)
        except Invalid as exc:
            errors.update(exc.errors)
    if errors:
        raise Invalid(errors=errors)
    codes = set(session.scalars(select(Tray.code).where(Tray.experiment_id == experiment.id)))
    trays = [Tray(experiment_id=experiment.id, code=code, name="", capacity=capacity,
                  recipe_id=recipe.id if recipe else None)
             for code in next_codes(codes, "TR", count)]
    session.add_all(trays)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:  # a concurrent request took the same codes
        raise Conflict("Another request added trays at the same time; try again.", {}) from exc
    record_event(session, kind="tray.created", actor=actor, experiment_id=experiment.id,
                 summary=f"Created {count} trays {trays[0].code}–{trays[-1].code} "
                         f"(capacity {capacity})" + (f" with {recipe.code}" if recipe else ""),
                 payload={"codes": [t.code for t in trays], "capacity": capacity})
    return trays


def update_tray(session: Session, *, tray_id: int, actor: User, capacity=UNSET,
                slot_id=UNSET, recipe_id=UNSET, name=UNSET) -> Tray:
    """Change capacity, slot (None = take out of its slot) or recipe. Frozen while running."""
    tray = get_tray(session, tray_id, lock=True)
    experiment = get_experiment(session, tray.experiment_id)
    changes = []
    if capacity is not UNSET and capacity != tray.capacity:
        require_not_running(experiment, "Tray capacity")
        capacity = _check_capacity(capacity)
        held = occupancy(session, tray.id)
        if capacity < held:
            raise Conflict(f"Tray {tray.code} holds {held} plants; capacity cannot go below that.",
                           {"occupancy": held, "capacity": capacity})
        tray.capacity = capacity
        changes.append(f"capacity {capacity}")
    if slot_id is not UNSET and slot_id != tray.slot_id:
        require_not_running(experiment, "Tray slots")
        slot = _check_slot(session, slot_id=slot_id, tray=tray, experiment_id=experiment.id) \
            if slot_id is not None else None
        tray.slot_id = slot.id if slot else None
        changes.append(f"slot {slot.code}" if slot else "no slot")
    if recipe_id is not UNSET and recipe_id != tray.recipe_id:
        require_not_running(experiment, "Tray recipes")
        recipe = _check_recipe(session, recipe_id, experiment.id) if recipe_id is not None \
            else None
        tray.recipe_id = recipe.id if recipe else None
        changes.append(f"recipe {recipe.code}" if recipe else "no recipe")
    if name is not UNSET:
        tray.name = (name or "").strip()[:120]
    _flush(session, None)
    if changes:
        record_event(session, kind="tray.updated", actor=actor, experiment_id=experiment.id,
                     tray_id=tray.id, summary=f"Tray {tray.code}: " + ", ".join(changes))
    return tray


def delete_tray(session: Session, *, tray_id: int, actor: User) -> None:
    tray = get_tray(session, tray_id, lock=True)
    experiment = get_experiment(session, tray.experiment_id)
    require_not_running(experiment, "Trays")
    held = occupancy(session, tray.id)
    if held:
        raise Conflict(f"Tray {tray.code} still holds {held} plant(s). Take them out first.",
                       {"occupancy": held})
    logged = session.scalar(select(exists().where(FeedingLog.tray_id == tray.id))) or \
        session.scalar(select(exists().where(RotationLog.tray_id == tray.id)))
    if logged:
        raise Conflict(f"Tray {tray.code} has feeding or rotation history and cannot be deleted.")
    session.delete(tray)
    session.flush()
    record_event(session, kind="tray.deleted", actor=actor, experiment_id=experiment.id,
                 summary=f"Deleted tray {tray.code}")


def slot_options(session: Session, experiment_id: int,
                 rows: list[TrayRow]) -> tuple[list[Slot], dict[int, list[Slot]]]:
    """Free slots, and per tray its valid destinations (own slot + free slots whose tent
    allows every species in the tray), in three queries whatever the number of trays."""
    free = free_slots(session, experiment_id)
    restrictions = tent_restrictions(session, experiment_id)
    tray_species: dict[int, set[int]] = {}
    for tray_id, species_id in session.execute(
            select(TrayPlant.tray_id, Plant.species_id)
            .join(Plant, Plant.id == TrayPlant.plant_id)
            .join(Tray, Tray.id == TrayPlant.tray_id).where(Tray.experiment_id == experiment_id)):
        tray_species.setdefault(tray_id, set()).add(species_id)
    options = {}
    for row in rows:
        species = tray_species.get(row.tray.id, set())
        fits = [s for s in free
                if s.tent_id not in restrictions or species <= restrictions[s.tent_id]]
        own = [row.slot] if row.slot else []
        options[row.tray.id] = sorted(own + fits, key=lambda s: (s.code.split("-")[0],
                                                                 s.shelf_index, s.position))
    return free, options
