"""Tents, slots and trays."""

from __future__ import annotations

from flask import current_app
from flask_login import current_user
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Slot, Tent, Tray
from ..services import experiments as exp_service
from ..services import tents as tent_service
from ..services import trays as tray_service
from ..services.environment.topics import tent_topic
from ..services.tents import TENT_CODE_MAX
from ..services.trays import MAX_BULK_TRAYS, MAX_CAPACITY, TRAY_CODE_MAX
from .framework import endpoint, require_fresh, whole_list
from .schemas import RecipeRef, Ref, StrictIn

TAG = "Tents, slots and trays"


class TentIn(StrictIn):
    name: str = Field(min_length=1, max_length=120)
    code: str | None = Field(None, max_length=TENT_CODE_MAX)
    allowed_species_ids: list[int] = []
    layout: dict


class TentPatch(StrictIn):
    name: str | None = Field(None, min_length=1, max_length=120)
    allowed_species_ids: list[int] | None = None


class GenerateIn(StrictIn):
    layout: dict | None = None


class SlotOut(BaseModel):
    id: int
    tent_id: int
    code: str
    shelf_index: int
    position: int
    tray: Ref | None


class TentOut(BaseModel):
    id: int
    uuid: str
    experiment_id: int
    code: str
    name: str
    layout: dict
    allowed_species_ids: list[int]
    slot_count: int
    mqtt_topic: str  # sensors publish <mqtt_topic>/<quantity>


class TrayIn(StrictIn):
    code: str | None = Field(None, max_length=TRAY_CODE_MAX)
    name: str = Field("", max_length=120)
    capacity: int = Field(ge=1, le=MAX_CAPACITY)
    slot_id: int | None = None
    recipe_id: int | None = None


class TraysBulkIn(StrictIn):
    count: int = Field(ge=1, le=MAX_BULK_TRAYS)
    capacity: int = Field(ge=1, le=MAX_CAPACITY)
    recipe_id: int | None = None


class TrayPatch(StrictIn):
    capacity: int | None = Field(None, ge=1, le=MAX_CAPACITY)
    slot_id: int | None = None
    recipe_id: int | None = None
    name: str | None = Field(None, max_length=120)


class TrayOut(BaseModel):
    id: int
    uuid: str
    experiment_id: int
    code: str
    name: str
    capacity: int
    occupancy: int
    slot: Ref | None
    tent: Ref | None
    recipe: RecipeRef | None


def tent_out(tent: Tent, slot_count: int | None = None) -> dict:
    return {"id": tent.id, "uuid": str(tent.uuid), "experiment_id": tent.experiment_id,
            "code": tent.code, "name": tent.name, "layout": tent.layout,
            "allowed_species_ids": sorted(s.id for s in tent.allowed_species),
            "slot_count": len(tent.slots) if slot_count is None else slot_count,
            "mqtt_topic": tent_topic(tent, current_app.config["MQTT_TOPIC_PREFIX"])}


def slots_out(session: Session, tent_id: int) -> list[dict]:
    rows = session.execute(
        select(Slot, Tray.id, Tray.code).outerjoin(Tray, Tray.slot_id == Slot.id)
        .where(Slot.tent_id == tent_id).order_by(Slot.shelf_index, Slot.position)).all()
    return [{"id": s.id, "tent_id": s.tent_id, "code": s.code, "shelf_index": s.shelf_index,
             "position": s.position, "tray": {"id": tid, "code": tcode} if tid else None}
            for s, tid, tcode in rows]


def tray_out(row: tray_service.TrayRow) -> dict:
    t = row.tray
    return {"id": t.id, "uuid": str(t.uuid), "experiment_id": t.experiment_id, "code": t.code,
            "name": t.name, "capacity": t.capacity, "occupancy": row.occupancy,
            "slot": {"id": row.slot.id, "code": row.slot.code} if row.slot else None,
            "tent": {"id": row.tent.id, "code": row.tent.code} if row.tent else None,
            "recipe": {"id": row.recipe.id, "code": row.recipe.code, "name": row.recipe.name}
            if row.recipe else None}


def _tray_row(session: Session, tray: Tray) -> dict:
    rows = tray_service.list_trays(session, tray.experiment_id)
    return tray_out(next(r for r in rows if r.tray.id == tray.id))


@endpoint("/experiments/<int:experiment_id>/tents", "GET", summary="Tents", tag=TAG,
          response=TentOut, many=True, errors=(404,))
def list_tents(session: Session, experiment_id: int):
    exp_service.get_experiment(session, experiment_id)
    tents = tent_service.list_tents(session, experiment_id)
    return whole_list([tent_out(t) for t in tents])


@endpoint("/experiments/<int:experiment_id>/tents", "POST", tag=TAG, body=TentIn,
          summary="Create a tent; slots are generated from its layout", response=TentOut,
          status=201, errors=(404, 409))
def create_tent(session: Session, experiment_id: int, body: TentIn):
    tent = tent_service.create_tent(session, experiment_id=experiment_id, actor=current_user,
                                    **body.model_dump())
    return tent_out(tent)


@endpoint("/tents/<int:tent_id>", "GET", summary="One tent", tag=TAG, response=TentOut,
          etag=True, errors=(404,))
def get_tent(session: Session, tent_id: int):
    return tent_out(tent_service.get_tent(session, tent_id))


@endpoint("/tents/<int:tent_id>", "PATCH", summary="Rename, change allowed species", tag=TAG,
          body=TentPatch, response=TentOut, errors=(404, 409, 412))
def patch_tent(session: Session, tent_id: int, body: TentPatch):
    require_fresh(tent_out(tent_service.get_tent(session, tent_id)))
    tent = tent_service.update_tent(session, tent_id=tent_id, actor=current_user,
                                    **body.model_dump(exclude_unset=True))
    return tent_out(tent)


@endpoint("/tents/<int:tent_id>/slots", "GET", summary="Slots of a tent", tag=TAG,
          response=SlotOut, many=True, errors=(404,))
def list_slots(session: Session, tent_id: int):
    tent_service.get_tent(session, tent_id)
    slots = slots_out(session, tent_id)
    return whole_list(slots)


@endpoint("/tents/<int:tent_id>/slots/generate", "POST", tag=TAG, body=GenerateIn,
          summary="Regenerate slots from a (new) layout; 409 lists orphaned trays",
          response=SlotOut, many=True, errors=(404, 409))
def generate_slots(session: Session, tent_id: int, body: GenerateIn):
    tent_service.generate_slots(session, tent_id=tent_id, actor=current_user,
                                layout=body.layout)
    slots = slots_out(session, tent_id)
    return whole_list(slots)


@endpoint("/experiments/<int:experiment_id>/trays", "GET", summary="Trays with occupancy",
          tag=TAG, response=TrayOut, many=True, errors=(404,))
def list_trays(session: Session, experiment_id: int):
    exp_service.get_experiment(session, experiment_id)
    rows = tray_service.list_trays(session, experiment_id)
    return whole_list([tray_out(r) for r in rows])


@endpoint("/experiments/<int:experiment_id>/trays", "POST", summary="Create a tray", tag=TAG,
          body=TrayIn, response=TrayOut, status=201, errors=(404, 409))
def create_tray(session: Session, experiment_id: int, body: TrayIn):
    tray = tray_service.create_tray(session, experiment_id=experiment_id, actor=current_user,
                                    **body.model_dump())
    return _tray_row(session, tray)


@endpoint("/experiments/<int:experiment_id>/trays/bulk", "POST", tag=TAG, body=TraysBulkIn,
          summary="Add N trays of one capacity, codes continuing (TR5, TR6…)",
          response=TrayOut, many=True, status=201, errors=(404, 409, 422))
def create_trays(session: Session, experiment_id: int, body: TraysBulkIn):
    trays = tray_service.create_trays(session, experiment_id=experiment_id, actor=current_user,
                                      **body.model_dump())
    made = {t.id for t in trays}
    rows = [r for r in tray_service.list_trays(session, experiment_id) if r.tray.id in made]
    return whole_list([tray_out(r) for r in rows])


@endpoint("/trays/<int:tray_id>", "GET", summary="One tray", tag=TAG, response=TrayOut,
          etag=True, errors=(404,))
def get_tray(session: Session, tray_id: int):
    return _tray_row(session, tray_service.get_tray(session, tray_id))


@endpoint("/trays/<int:tray_id>", "PATCH", tag=TAG, body=TrayPatch, response=TrayOut,
          summary="Change slot, recipe or capacity (null clears slot/recipe)",
          errors=(404, 409, 412))
def patch_tray(session: Session, tray_id: int, body: TrayPatch):
    require_fresh(_tray_row(session, tray_service.get_tray(session, tray_id)))
    tray = tray_service.update_tray(session, tray_id=tray_id, actor=current_user,
                                    **body.model_dump(exclude_unset=True))
    return _tray_row(session, tray)
