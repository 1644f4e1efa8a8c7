"""Tents, their shelf layout and the slots generated from it."""

from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.orm import Session, selectinload

from ..models import RotationLog, Slot, Species, Tent, Tray, User, tent_allowed_species
from .codes import clean_code, next_codes
from .errors import Conflict, Invalid, NotFound
from .events import record_event
from .experiments import get_experiment, require_not_running

MAX_SHELVES = 20
TENT_CODE_MAX = 12
MAX_PER_SHELF = 50
MAX_SLOTS = 400


def validate_layout(layout) -> dict:
    """{"schema_version": 1, "shelves": [{"index": 1, "tray_count": 4}, …]}. Raises Invalid."""
    problems: list[str] = []
    if not isinstance(layout, dict):
        raise Invalid("The layout must be an object.", {"layout": ["Expected an object."]})
    if layout.get("schema_version", 1) != 1:
        problems.append("schema_version must be 1.")
    shelves = layout.get("shelves")
    if not isinstance(shelves, list) or not shelves:
        raise Invalid("Give the tent at least one shelf.",
                      {"layout": ["shelves must be a non-empty list."]})
    if len(shelves) > MAX_SHELVES:
        problems.append(f"At most {MAX_SHELVES} shelves.")
    clean = []
    for n, shelf in enumerate(shelves, start=1):
        if not isinstance(shelf, dict):
            problems.append(f"Shelf {n}: expected an object with index and tray_count.")
            continue
        index, count = shelf.get("index"), shelf.get("tray_count")
        if isinstance(index, bool) or not isinstance(index, int) or index < 1:
            problems.append(f"Shelf {n}: index must be a whole number from 1.")
            continue
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_PER_SHELF:
            problems.append(f"Shelf {index}: tray_count must be 1–{MAX_PER_SHELF}.")
            continue
        clean.append({"index": index, "tray_count": count})
    indexes = sorted(s["index"] for s in clean)
    if len(set(indexes)) != len(indexes):
        problems.append("Shelf indexes must not repeat.")
    elif indexes and indexes != list(range(1, len(indexes) + 1)):
        problems.append("Shelf indexes must run 1, 2, 3… without gaps.")
    if sum(s["tray_count"] for s in clean) > MAX_SLOTS:
        problems.append(f"At most {MAX_SLOTS} slots per tent.")
    if problems:
        raise Invalid("The shelf layout is not valid.", {"layout": problems})
    return {"schema_version": 1, "shelves": sorted(clean, key=lambda s: s["index"])}


def uniform_layout(shelves: int, positions: int) -> dict:
    return {"schema_version": 1,
            "shelves": [{"index": i, "tray_count": positions} for i in range(1, shelves + 1)]}


def get_tent(session: Session, tent_id: int, *, lock: bool = False) -> Tent:
    stmt = select(Tent).where(Tent.id == tent_id).options(
        selectinload(Tent.allowed_species), selectinload(Tent.slots))
    if lock:
        stmt = stmt.with_for_update()
    tent = session.scalar(stmt)
    if tent is None:
        raise NotFound(f"Tent {tent_id} does not exist.")
    return tent


def list_tents(session: Session, experiment_id: int) -> list[Tent]:
    return list(session.scalars(select(Tent).where(Tent.experiment_id == experiment_id)
                                .options(selectinload(Tent.allowed_species),
                                         selectinload(Tent.slots))
                                .order_by(Tent.code)))


def _allowed(session: Session, ids) -> list[Species]:
    if ids is None:
        return []
    if not isinstance(ids, list) or not all(isinstance(i, int) for i in ids):
        raise Invalid(errors={"allowed_species_ids": ["Give a list of species ids."]})
    species = list(session.scalars(select(Species).where(Species.id.in_(ids))))
    if len(species) != len(set(ids)):
        raise Invalid(errors={"allowed_species_ids": ["Some of these species do not exist."]})
    return species


def _slot_code(tent_code: str, shelf: int, position: int) -> str:
    return f"{tent_code}-S{shelf}-P{position}"


def create_tent(session: Session, *, experiment_id: int, actor: User, name: str,
                layout, code: str | None = None,
                allowed_species_ids: list[int] | None = None) -> Tent:
    """Create a tent and generate its slots from the layout."""
    experiment = get_experiment(session, experiment_id, lock=True)
    require_not_running(experiment, "Tents and slots")
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name or len(name) > 120:
        errors["name"] = ["Give the tent a name of up to 120 characters."]
    clean_layout = None
    try:
        clean_layout = validate_layout(layout)
    except Invalid as exc:
        errors.update(exc.errors)
    try:
        allowed = _allowed(session, allowed_species_ids)
    except Invalid as exc:
        errors.update(exc.errors)
    codes = set(session.scalars(select(Tent.code).where(Tent.experiment_id == experiment.id)))
    if code:
        try:
            code = clean_code(code, max_len=TENT_CODE_MAX)
        except Invalid as exc:
            errors.update(exc.errors)
        else:
            if code in codes:
                errors["code"] = [f"{code} is already used in this experiment."]
    if errors:
        raise Invalid(errors=errors)
    code = code or next_codes(codes, "TN")[0]
    tent = Tent(experiment_id=experiment.id, code=code, name=name, layout=clean_layout)
    tent.allowed_species = allowed
    session.add(tent)
    session.flush()
    for shelf in clean_layout["shelves"]:
        for pos in range(1, shelf["tray_count"] + 1):
            session.add(Slot(tent_id=tent.id, shelf_index=shelf["index"], position=pos,
                             code=_slot_code(code, shelf["index"], pos)))
    session.flush()
    record_event(session, kind="tent.created", actor=actor, experiment_id=experiment.id,
                 summary=f"Created tent {code} ({name}) with "
                         f"{sum(s['tray_count'] for s in clean_layout['shelves'])} slots")
    session.refresh(tent, ["slots"])
    return tent


def update_tent(session: Session, *, tent_id: int, actor: User, name: str | None = None,
                allowed_species_ids: list[int] | None = None) -> Tent:
    tent = get_tent(session, tent_id, lock=True)
    experiment = get_experiment(session, tent.experiment_id)
    if name is not None:
        name = name.strip()
        if not name or len(name) > 120:
            raise Invalid(errors={"name": ["Give the tent a name of up to 120 characters."]})
        tent.name = name
    if allowed_species_ids is not None:
        new = _allowed(session, allowed_species_ids)
        if {s.id for s in new} != {s.id for s in tent.allowed_species}:
            require_not_running(experiment, "Species restrictions")
            tent.allowed_species = new
            record_event(session, kind="tent.restricted", actor=actor,
                         experiment_id=experiment.id,
                         summary=f"{tent.code} allows "
                                 + (", ".join(s.common_name for s in new) or "any species"))
    session.flush()
    return tent


def generate_slots(session: Session, *, tent_id: int, actor: User, layout=None) -> Tent:
    """Reshape a tent. Occupied coordinates must survive, else 409 lists the orphans."""
    tent = get_tent(session, tent_id, lock=True)
    experiment = get_experiment(session, tent.experiment_id)
    require_not_running(experiment, "Slots")
    clean = validate_layout(layout if layout is not None else tent.layout)
    wanted = {(s["index"], p) for s in clean["shelves"] for p in range(1, s["tray_count"] + 1)}
    current = {(s.shelf_index, s.position): s for s in tent.slots}
    dropped = [slot for coord, slot in current.items() if coord not in wanted]
    if dropped:
        ids = [s.id for s in dropped]
        occupied = session.execute(select(Tray.code, Slot.code).join(Slot, Slot.id == Tray.slot_id)
                                   .where(Tray.slot_id.in_(ids)).order_by(Slot.code)).all()
        if occupied:
            orphans = [{"tray": t, "slot": s} for t, s in occupied]
            listing = ", ".join(f"{o['tray']} in {o['slot']}" for o in orphans)
            raise Conflict(f"The new layout would orphan {len(orphans)} tray(s): {listing}. "
                           "Move them first.", {"orphans": orphans})
        history = session.scalars(select(Slot.code).where(Slot.id.in_(ids), exists().where(
            (RotationLog.from_slot_id == Slot.id) | (RotationLog.to_slot_id == Slot.id)))).all()
        if history:
            raise Conflict("Slots with rotation history cannot be removed: "
                           + ", ".join(history) + ".", {"slots_with_history": list(history)})
        for slot in dropped:  # ORM deletes, so the audit hook records each one
            session.delete(slot)
    for shelf, pos in sorted(wanted - set(current)):
        session.add(Slot(tent_id=tent.id, shelf_index=shelf, position=pos,
                         code=_slot_code(tent.code, shelf, pos)))
    tent.layout = clean
    session.flush()
    session.expire(tent, ["slots"])
    record_event(session, kind="tent.reshaped", actor=actor, experiment_id=experiment.id,
                 summary=f"Regenerated slots of {tent.code}: {len(wanted)} slots")
    return tent


def delete_tent(session: Session, *, tent_id: int, actor: User) -> None:
    tent = get_tent(session, tent_id, lock=True)
    experiment = get_experiment(session, tent.experiment_id)
    require_not_running(experiment, "Tents")
    trays = session.scalars(select(Tray.code).join(Slot, Slot.id == Tray.slot_id)
                            .where(Slot.tent_id == tent.id)).all()
    if trays:
        raise Conflict(f"{tent.code} still holds tray(s) {', '.join(trays)}. Move them first.",
                       {"trays": list(trays)})
    for slot in tent.slots:
        session.delete(slot)
    session.delete(tent)
    session.flush()
    record_event(session, kind="tent.deleted", actor=actor, experiment_id=experiment.id,
                 summary=f"Deleted tent {tent.code}")


def tent_restrictions(session: Session, experiment_id: int) -> dict[int, set[int]]:
    """{tent_id: allowed species ids} for the restricted tents of an experiment (one query);
    a tent missing from the dict allows any species."""
    out: dict[int, set[int]] = {}
    for tent_id, species_id in session.execute(
            select(tent_allowed_species.c.tent_id, tent_allowed_species.c.species_id)
            .join(Tent, Tent.id == tent_allowed_species.c.tent_id)
            .where(Tent.experiment_id == experiment_id)):
        out.setdefault(tent_id, set()).add(species_id)
    return out
