"""Rotation: move a tray to a free slot or swap two trays, logged in one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from ..models import RotationLog, Slot, Tent, Tray, User
from .errors import Conflict, Invalid, NotFound
from .events import record_event
from .experiments import get_experiment, require_running
from .trays import forbidden_species_in, get_tray

NOTE_MAX = 1000  # a rotation's note

def _slot(session: Session, slot_id, experiment_id: int) -> tuple[Slot, Tent]:
    slot = session.get(Slot, slot_id) if isinstance(slot_id, int) else None
    tent = session.get(Tent, slot.tent_id) if slot else None
    if slot is None or tent.experiment_id != experiment_id:
        raise Invalid(errors={"to_slot_id": ["Choose a slot of this experiment."]})
    return slot, tent


def _check_fits(session: Session, tray: Tray, tent: Tent) -> None:
    forbidden = forbidden_species_in(session, tray.id, tent.id)
    if forbidden:
        raise Conflict(f"Tent {tent.code} does not allow {', '.join(forbidden)}, which tray "
                       f"{tray.code} holds.", {"tent": tent.code, "forbidden_species": forbidden})


def rotate_tray(session: Session, *, tray_id: int, to_slot_id, actor: User, note: str = "",
                swap: bool = False) -> list[RotationLog]:
    """Move a tray to ``to_slot_id``. If another tray sits there, refuse (409) unless
    ``swap``: then the two trays change places. Running only; tent restrictions hold."""
    if note and len(note) > NOTE_MAX:
        raise Invalid(errors={"note": [f"Use at most {NOTE_MAX:,} characters."]})
    tray = get_tray(session, tray_id, lock=True)
    experiment = get_experiment(session, tray.experiment_id)
    require_running(experiment, "Trays rotate")
    slot, tent = _slot(session, to_slot_id, experiment.id)
    if tray.slot_id == slot.id:
        raise Conflict(f"Tray {tray.code} is already in {slot.code}.", {"slot": slot.code})
    other = session.scalar(select(Tray).where(Tray.slot_id == slot.id).with_for_update())
    from_slot = session.get(Slot, tray.slot_id) if tray.slot_id else None
    _check_fits(session, tray, tent)
    if other is not None:
        if not swap:
            raise Conflict(f"Slot {slot.code} holds tray {other.code}. Swap them instead?",
                           {"slot": slot.code, "occupied_by": other.code})
        if from_slot is None:
            raise Conflict(f"Tray {tray.code} has no slot to give to {other.code}.")
        _check_fits(session, other, session.get(Tent, from_slot.tent_id))
    # Read everything the answer needs now: after a failed savepoint the objects are
    # expired, and reading them again is what used to turn a lost race into a 500.
    tray_code, slot_code = tray.code, slot.code
    from_code = from_slot.code if from_slot else None
    other_code = other.code if other is not None else None
    logs = [RotationLog(tray_id=tray.id, from_slot_id=from_slot.id if from_slot else None,
                        to_slot_id=slot.id, user_id=actor.id, note=note or "")]
    try:
        with session.begin_nested():  # every write of the move inside the savepoint
            if other is not None:
                # Free the target first so the one-tray-per-slot key holds at every step.
                other.slot_id = None
                session.flush()
                tray.slot_id = slot.id
                session.flush()
                other.slot_id = from_slot.id
                logs.append(RotationLog(tray_id=other.id, from_slot_id=slot.id,
                                        to_slot_id=from_slot.id, user_id=actor.id,
                                        note=note or f"swapped with {tray_code}"))
            else:
                tray.slot_id = slot.id
            session.add_all(logs)
            session.flush()
    except IntegrityError as exc:
        raise Conflict(f"Slot {slot_code} was just taken by another tray. Reload the floor "
                       "and try again.", {"slot": slot_code}) from exc
    what = f"swapped with {other_code}" if other is not None else "moved"
    record_event(session, kind="tray.rotated", actor=actor, experiment_id=experiment.id,
                 tray_id=tray.id, summary=f"Tray {tray_code} {what}: "
                 f"{from_code or 'no slot'} → {slot_code}",
                 payload={"from": from_code, "to": slot_code, "swap_with": other_code})
    if other is not None:
        record_event(session, kind="tray.rotated", actor=actor, experiment_id=experiment.id,
                     tray_id=other.id, summary=f"Tray {other_code} swapped with {tray_code}: "
                     f"{slot_code} → {from_code}")
    return logs


@dataclass(slots=True)
class RotationEntry:
    tray_code: str
    from_code: str | None
    to_code: str
    moved_at: datetime
    note: str


def rotation_history(session: Session, *, experiment_id: int | None = None,
                     tray_id: int | None = None, limit: int = 50) -> list[RotationEntry]:
    """Newest first, for a tray or a whole experiment (one query)."""
    src, dst = aliased(Slot), aliased(Slot)
    stmt = (select(Tray.code, src.code, dst.code, RotationLog.moved_at, RotationLog.note)
            .join(Tray, Tray.id == RotationLog.tray_id)
            .outerjoin(src, src.id == RotationLog.from_slot_id)
            .join(dst, dst.id == RotationLog.to_slot_id)
            .order_by(RotationLog.moved_at.desc(), RotationLog.id.desc()).limit(limit))
    if tray_id is not None:
        stmt = stmt.where(RotationLog.tray_id == tray_id)
    elif experiment_id is not None:
        stmt = stmt.where(Tray.experiment_id == experiment_id)
    else:
        raise NotFound("Give a tray or an experiment.")
    return [RotationEntry(*row) for row in session.execute(stmt)]
