"""Measurements (incl. baseline), tray membership and auto-place."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from flask import Response
from flask_login import current_user
from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import TrayPlant
from ..services import metrics as metric_service
from ..services import placement as placement_service
from ..services.metrics import CORRECTION_REASON_MAX, MAX_WEEK
from ..services.plants import get_plant
from ..services.trays import get_tray
from .framework import endpoint
from .schemas import Grade, StrictIn

TAG = "Measurements and placement"


class MetricsIn(StrictIn):
    week_number: int = Field(ge=0, le=MAX_WEEK)
    values: dict
    grade: Grade | None = None
    reason: str | None = Field(None, max_length=CORRECTION_REASON_MAX)


class MetricOut(BaseModel):
    id: int
    plant_uuid: str
    week_number: int
    values: dict
    recorded_at: datetime
    recorded_by_id: int | None


class TrayPlantIn(StrictIn):
    plant_uuid: str = Field(min_length=1, max_length=64)


class TrayPlantOut(BaseModel):
    tray_id: int
    tray_code: str
    plant_uuid: str
    plant_code: str
    occupancy: int
    capacity: int


class AutoPlaceIn(StrictIn):
    mode: Literal["fill", "randomized"]
    seed: int | None = Field(None, ge=0, lt=2**31)
    dry_run: bool = False
    allow_partial: bool = False
    scheme: Literal[placement_service.SCHEMES] | None = None  # None: the current scheme


class AutoPlaceOut(BaseModel):
    mode: str
    seed: int | None
    scheme: int | None = None
    applied: bool
    placed: list[dict]
    placed_count: int
    reason_counts: dict[str, int]
    unplaceable_plants: list[dict]
    strata: list[dict]


@endpoint("/plants/<uuid:plant_uuid>/metrics", "POST", tag=TAG, body=MetricsIn,
          summary="Record a week's measurements (week 0 = baseline; locked once running)",
          response=MetricOut, status=201, idempotent=True, errors=(404, 409))
def post_metrics(session: Session, plant_uuid, body: MetricsIn):
    metric = metric_service.record_metrics(session, plant_uuid=plant_uuid, actor=current_user,
                                           **body.model_dump())
    return {"id": metric.id, "plant_uuid": str(plant_uuid), "week_number": metric.week_number,
            "values": metric.values, "recorded_at": metric.recorded_at.isoformat(),
            "recorded_by_id": metric.recorded_by_id}


@endpoint("/trays/<int:tray_id>/plants", "POST", tag=TAG, body=TrayPlantIn,
          summary="Put a plant in a tray; 409 when full, restricted, placed or running",
          response=TrayPlantOut, status=201, errors=(404, 409))
def add_tray_plant(session: Session, tray_id: int, body: TrayPlantIn):
    link = placement_service.place_plant(session, tray_id=tray_id, plant_uuid=body.plant_uuid,
                                         actor=current_user)
    tray = get_tray(session, tray_id)
    plant = get_plant(session, body.plant_uuid)
    held = session.scalar(select(func.count(TrayPlant.id)).where(TrayPlant.tray_id == tray_id))
    return {"tray_id": link.tray_id, "tray_code": tray.code, "plant_uuid": str(plant.uuid),
            "plant_code": plant.plant_code, "occupancy": held, "capacity": tray.capacity}


@endpoint("/trays/<int:tray_id>/plants/<uuid:plant_uuid>", "DELETE", tag=TAG,
          summary="Take a plant out of a tray", status=204, errors=(404, 409))
def remove_tray_plant(session: Session, tray_id: int, plant_uuid):
    placement_service.unplace_plant(session, tray_id=tray_id, plant_uuid=plant_uuid,
                                    actor=current_user)
    return Response(status=204)


@endpoint("/experiments/<int:experiment_id>/placement/auto", "POST", tag=TAG, body=AutoPlaceIn,
          summary="Auto-place unplaced plants (fill | randomized); dry_run previews; a plan "
                  "that leaves plants out is 409 unless allow_partial",
          response=AutoPlaceOut, errors=(404, 409))
def auto_place(session: Session, experiment_id: int, body: AutoPlaceIn):
    result = placement_service.auto_place(
        session, experiment_id=experiment_id, actor=current_user, mode=body.mode,
        seed=body.seed, apply=not body.dry_run, allow_partial=body.allow_partial,
        scheme=body.scheme)
    if body.dry_run:
        session.rollback()
    return result.as_dict()
