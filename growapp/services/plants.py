"""Plants: add in batches with suggested codes, edit, list with filters, locate."""

from __future__ import annotations

import uuid as uuid_mod
from dataclasses import dataclass

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from ..models import (
    MetricTemplate,
    Plant,
    PlantMetric,
    Recipe,
    Slot,
    Species,
    Tent,
    Tray,
    TrayPlant,
    User,
    tent_allowed_species,
    utcnow,
)
from .codes import clean_code, next_codes
from .errors import Conflict, Invalid, NotFound
from .events import record_event
from .experiments import get_experiment, require_not_running
from .like import contains

MAX_BATCH = 500
PLANT_CODE_MAX = 40
GRADES = ("A", "B", "C")
REASON_MAX = 500  # why a plant was removed or replaced
NEEDS = ("baseline", "grade", "placement", "tray_recipe", "tent_restriction")


@dataclass
class Location:
    tray: Tray | None = None
    slot: Slot | None = None
    tent: Tent | None = None
    recipe: Recipe | None = None

    @property
    def placed(self) -> bool:
        return self.tray is not None


def needs_clause(need: str):
    """SQL condition on Plant for one readiness gap (active plants only)."""
    in_tray = select(TrayPlant.id).join(Tray, Tray.id == TrayPlant.tray_id).where(
        TrayPlant.plant_id == Plant.id)
    if need == "baseline":
        cond = ~exists().where(PlantMetric.plant_id == Plant.id, PlantMetric.week_number == 0,
                               PlantMetric.voided_at.is_(None))
    elif need == "grade":
        cond = Plant.grade.is_(None)
    elif need == "placement":
        cond = ~exists().where(TrayPlant.plant_id == Plant.id)
    elif need == "tray_recipe":
        cond = exists(in_tray.where(Tray.recipe_id.is_(None)))
    elif need == "tent_restriction":
        cond = exists(in_tray.join(Slot, Slot.id == Tray.slot_id).where(
            exists().where(tent_allowed_species.c.tent_id == Slot.tent_id),
            ~exists().where(tent_allowed_species.c.tent_id == Slot.tent_id,
                            tent_allowed_species.c.species_id == Plant.species_id)))
    else:
        raise Invalid(errors={"needs": [f"Use one of {', '.join(NEEDS)}."]})
    return and_(Plant.status == "active", cond)


def plant_key(plant_uuid) -> uuid_mod.UUID:
    """The UUID a plant is looked up by; NotFound for anything that is not one."""
    try:
        return plant_uuid if isinstance(plant_uuid, uuid_mod.UUID) else uuid_mod.UUID(
            str(plant_uuid))
    except ValueError as exc:
        raise NotFound("No plant has that code.") from exc


def get_plant(session: Session, plant_uuid, *, lock: bool = False) -> Plant:
    stmt = select(Plant).where(Plant.uuid == plant_key(plant_uuid)).options(
        joinedload(Plant.species, innerjoin=True))
    if lock:  # lock the plant row only, never the species every plant shares
        stmt = stmt.with_for_update(of=Plant)
    plant = session.scalar(stmt)
    if plant is None:
        raise NotFound("No plant has that code.")
    return plant


def require_active(plant: Plant, what: str) -> None:
    """Raises Conflict when the plant was removed (``what`` says what cannot happen)."""
    if plant.status != "active":
        raise Conflict(f"{plant.plant_code} was removed; {what}.", {"plant_status": plant.status})


def code_prefix(session: Session, category: str) -> str:
    prefix = session.scalar(select(MetricTemplate.code_prefix).where(
        MetricTemplate.category == category))
    return (prefix or category[:3].upper()) + "-"


def existing_codes(session: Session, experiment_id: int) -> set[str]:
    return set(session.scalars(select(Plant.plant_code).where(
        Plant.experiment_id == experiment_id)))


def suggest_codes(session: Session, *, experiment_id: int, species: Species,
                  count: int) -> list[str]:
    """VFT-001… continuing the highest number used in this experiment."""
    return next_codes(existing_codes(session, experiment_id),
                      code_prefix(session, species.category), count, width=3)


def _species(session: Session, species_id) -> Species:
    species = session.get(Species, species_id) if isinstance(species_id, int) else None
    if species is None:
        raise Invalid(errors={"species_id": ["Choose a species."]})
    return species


def add_plants(session: Session, *, experiment_id: int, actor: User, species_id: int,
               quantity: int = 1, cultivar: str = "", plant_code: str | None = None,
               grade: str | None = None, notes: str = "") -> list[Plant]:
    """Add ``quantity`` plants of one species. Raises Invalid, Conflict (running, codes)."""
    experiment = get_experiment(session, experiment_id, lock=True)
    require_not_running(experiment, "Plants")
    errors: dict[str, list[str]] = {}
    species = None
    try:
        species = _species(session, species_id)
    except Invalid as exc:
        errors.update(exc.errors)
    if not isinstance(quantity, int) or not 1 <= quantity <= MAX_BATCH:
        errors["quantity"] = [f"Add between 1 and {MAX_BATCH} plants at a time."]
    cultivar = (cultivar or "").strip()
    if len(cultivar) > 120:
        errors["cultivar"] = ["Use at most 120 characters."]
    if grade not in (None, "", *GRADES):
        errors["grade"] = ["Grade is A, B or C."]
    if plant_code:
        if quantity != 1:
            errors["plant_code"] = ["Give a code only when adding one plant."]
        else:
            try:
                plant_code = clean_code(plant_code, field="plant_code", max_len=PLANT_CODE_MAX)
            except Invalid as exc:
                errors.update(exc.errors)
    if errors:
        raise Invalid(errors=errors)
    taken = existing_codes(session, experiment.id)
    if plant_code:
        if plant_code in taken:
            raise Invalid(errors={"plant_code": [f"{plant_code} is already used here."]})
        codes = [plant_code]
    else:
        codes = next_codes(taken, code_prefix(session, species.category), quantity, width=3)
    cultivar = cultivar or species.default_cultivar
    plants = [Plant(experiment_id=experiment.id, plant_code=code, species_id=species.id,
                    cultivar=cultivar, grade=grade or None, notes=notes or "")
              for code in codes]
    session.add_all(plants)
    session.flush()
    label = f"{species.common_name}{f' {cultivar!r}' if cultivar else ''}"
    record_event(session, kind="plants.added", actor=actor, experiment_id=experiment.id,
                 summary=f"Added {len(plants)} × {label} ({codes[0]}"
                         f"{'…' + codes[-1] if len(codes) > 1 else ''})",
                 payload={"codes": codes, "species_id": species.id})
    return plants


def update_plant(session: Session, *, plant_uuid, actor: User, **fields) -> Plant:
    """Edit grade, notes, cultivar; the code only while the experiment is a draft."""
    allowed = {"grade", "notes", "cultivar", "plant_code"}
    unknown = set(fields) - allowed
    if unknown:
        raise Invalid(errors={k: ["This field cannot be changed here."] for k in sorted(unknown)})
    plant = get_plant(session, plant_uuid, lock=True)
    experiment = get_experiment(session, plant.experiment_id)
    errors: dict[str, list[str]] = {}
    if "grade" in fields and fields["grade"] not in (None, "", *GRADES):
        errors["grade"] = ["Grade is A, B or C."]
    if "notes" in fields and len(fields["notes"] or "") > 5000:
        errors["notes"] = ["Use at most 5,000 characters."]
    if "cultivar" in fields and len((fields["cultivar"] or "").strip()) > 120:
        errors["cultivar"] = ["Use at most 120 characters."]
    new_code = None
    if fields.get("plant_code") is not None and fields["plant_code"] != plant.plant_code:
        try:
            new_code = clean_code(fields["plant_code"], field="plant_code",
                                  max_len=PLANT_CODE_MAX)
        except Invalid as exc:
            errors.update(exc.errors)
    if errors:
        raise Invalid(errors=errors)
    if new_code:
        if experiment.status != "draft":
            raise Conflict(f"Plant codes are fixed once {experiment.name} has started.",
                           {"status": experiment.status})
        if session.scalar(select(Plant.id).where(Plant.experiment_id == experiment.id,
                                                 Plant.plant_code == new_code)):
            raise Invalid(errors={"plant_code": [f"{new_code} is already used here."]})
        plant.plant_code = new_code
    if "grade" in fields:
        old = plant.grade
        plant.grade = fields["grade"] or None
        if old != plant.grade:
            record_event(session, kind="plant.graded", actor=actor,
                         experiment_id=experiment.id, plant_id=plant.id,
                         summary=f"{plant.plant_code} graded {plant.grade or 'none'}"
                                 f"{f' (was {old})' if old else ''}",
                         payload={"from": old, "to": plant.grade})
    if "notes" in fields:
        plant.notes = fields["notes"] or ""
    if "cultivar" in fields:
        plant.cultivar = (fields["cultivar"] or "").strip()
    session.flush()
    return plant


def locations(session: Session, plant_ids: list[int]) -> dict[int, Location]:
    """Where each plant is (tray, slot, tent, recipe), in one query."""
    if not plant_ids:
        return {}
    rows = session.execute(
        select(TrayPlant.plant_id, Tray, Slot, Tent, Recipe)
        .join(Tray, Tray.id == TrayPlant.tray_id)
        .outerjoin(Slot, Slot.id == Tray.slot_id)
        .outerjoin(Tent, Tent.id == Slot.tent_id)
        .outerjoin(Recipe, Recipe.id == Tray.recipe_id)
        .where(TrayPlant.plant_id.in_(plant_ids))
    ).all()
    found = {pid: Location(tray, slot, tent, recipe) for pid, tray, slot, tent, recipe in rows}
    return {pid: found.get(pid, Location()) for pid in plant_ids}


def replacement_links(session: Session, plants: list[Plant]) -> dict[int, dict]:
    """{plant_id: {"replaced_by": uuid|None, "replaces": uuid|None}} in one query."""
    ids = [p.id for p in plants]
    targets = [p.replaced_by_id for p in plants if p.replaced_by_id]
    if not ids:
        return {}
    rows = session.execute(select(Plant.id, Plant.uuid, Plant.replaced_by_id).where(
        or_(Plant.id.in_(targets), Plant.replaced_by_id.in_(ids)))).all()
    uuid_of = {pid: puuid for pid, puuid, _ in rows}
    replaces = {rby: puuid for _pid, puuid, rby in rows if rby in ids}
    return {p.id: {"replaced_by": uuid_of.get(p.replaced_by_id) if p.replaced_by_id else None,
                   "replaces": replaces.get(p.id)} for p in plants}


def list_plants(session: Session, *, experiment_id: int, status: str | None = None,
                q: str | None = None, needs: str | None = None, limit: int = 100,
                offset: int = 0) -> tuple[int, list[Plant]]:
    get_experiment(session, experiment_id)
    stmt = select(Plant).where(Plant.experiment_id == experiment_id)
    if status:
        if status not in ("active", "removed"):
            raise Invalid(errors={"status": ["Use active or removed."]})
        stmt = stmt.where(Plant.status == status)
    if q:
        text = q.strip()
        stmt = stmt.join(Species, Species.id == Plant.species_id).where(or_(
            contains(Plant.plant_code, text), contains(Plant.cultivar, text),
            contains(Species.common_name, text)))
    if needs:
        stmt = stmt.where(needs_clause(needs))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.options(selectinload(Plant.species))
                           .order_by(Plant.plant_code).limit(limit).offset(offset)).all()
    return total, list(rows)


# Remove and replace ----------------------------------------------------------------------

def remove_plant(session: Session, *, plant_uuid, reason: str, actor: User) -> Plant:
    """Mark a plant removed (it leaves its tray and every queue). Raises Invalid, Conflict."""
    reason = (reason or "").strip()
    if not reason:
        raise Invalid(errors={"reason": ["Say why the plant is removed (died, pest, …)."]})
    if len(reason) > REASON_MAX:
        raise Invalid(errors={"reason": [f"Use at most {REASON_MAX} characters."]})
    plant = get_plant(session, plant_uuid, lock=True)
    require_active(plant, "it is already removed")
    link = session.scalar(select(TrayPlant).where(TrayPlant.plant_id == plant.id))
    if link is not None:
        session.delete(link)
    plant.status = "removed"
    plant.removed_at = utcnow()
    plant.removed_reason = reason
    session.flush()
    record_event(session, kind="plant.removed", actor=actor, experiment_id=plant.experiment_id,
                 plant_id=plant.id, summary=f"Removed {plant.plant_code}: {reason}")
    return plant


def replace_plant(session: Session, *, plant_uuid, actor: User, reason: str = "",
                  inherit_tray: bool = True) -> Plant:
    """A new plant (new uuid and code, same species and cultivar) takes the old one's place:
    the old one is removed, the links go both ways, the tray is inherited by default, and
    the new plant needs its own baseline. A plant is replaced at most once."""
    plant = get_plant(session, plant_uuid, lock=True)
    if plant.replaced_by_id is not None:
        raise Conflict(f"{plant.plant_code} has already been replaced.",
                       {"replaced_by": plant.replaced_by_id})
    if len((reason or "").strip()) > REASON_MAX:
        raise Invalid(errors={"reason": [f"Use at most {REASON_MAX} characters."]})
    experiment = get_experiment(session, plant.experiment_id, lock=True)
    code = next_codes(existing_codes(session, experiment.id),
                      code_prefix(session, plant.species.category), width=3)[0]
    new = Plant(experiment_id=experiment.id, plant_code=code, species_id=plant.species_id,
                cultivar=plant.cultivar, grade=plant.grade, planted_on=utcnow().date())
    session.add(new)
    session.flush()
    link = session.scalar(select(TrayPlant).where(TrayPlant.plant_id == plant.id))
    tray_id = link.tray_id if link is not None else None
    if link is not None:
        if inherit_tray:
            link.plant_id = new.id  # the new plant takes the same place in the tray
        else:
            session.delete(link)
    if plant.status == "active":
        plant.status = "removed"
        plant.removed_at = utcnow()
        plant.removed_reason = (reason or "").strip() or f"replaced by {code}"
    plant.replaced_by_id = new.id
    session.flush()
    record_event(session, kind="plant.replaced", actor=actor, experiment_id=experiment.id,
                 plant_id=plant.id, tray_id=tray_id,
                 summary=f"Replaced {plant.plant_code} by {code}"
                 + (f": {reason.strip()}" if (reason or "").strip() else ""))
    record_event(session, kind="plant.created", actor=actor, experiment_id=experiment.id,
                 plant_id=new.id, tray_id=tray_id if inherit_tray else None,
                 summary=f"{code} replaces {plant.plant_code}"
                 + (" in the same tray" if tray_id and inherit_tray else ""))
    return new
