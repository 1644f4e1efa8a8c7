"""A tent's sensor setup: the lux → PPFD factor and "no reading" minutes, and the device
topics (Tasmota, ESPHome) mapped to it. Operators and admins change them; viewers read."""

from __future__ import annotations

from typing import Literal

from flask import Response, current_app
from flask_login import current_user
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from ..services.environment import alerts as alert_svc
from ..services.environment import mappings as svc
from ..services.environment.readings import get_tent
from ..services.environment.units import QUANTITIES
from .framework import endpoint, whole_list
from .schemas import StrictIn

TAG = "Tent environment"


class SensorSettingsIn(StrictIn):
    lux_factor: float | None = Field(None, description="lux × factor = PPFD; null: lux gives "
                                                       "no DLI")
    stale_minutes: int = Field(30, ge=0, le=7 * 24 * 60,
                               description="no reading for this long raises an alert; 0 never")


class SensorSettingsOut(BaseModel):
    tent_id: int
    lux_factor: float | None
    stale_minutes: int


class MappingIn(StrictIn):
    kind: Literal["tasmota", "esphome"]
    topic: str = Field(min_length=1, max_length=svc.TOPIC_MAX)
    quantity: str | None = Field(None, max_length=16, description=" | ".join(QUANTITIES)
                                 + " (ESPHome only)")
    unit: str | None = Field(None, max_length=16, description="ESPHome only")


class MappingOut(BaseModel):
    id: int
    tent_id: int
    kind: str
    topic: str
    quantity: str | None
    unit: str | None


def settings_out(row) -> dict:
    return {"tent_id": row.tent_id, "lux_factor": row.lux_factor,
            "stale_minutes": row.stale_minutes}


def mapping_out(m) -> dict:
    return {"id": m.id, "tent_id": m.tent_id, "kind": m.kind, "topic": m.topic,
            "quantity": m.quantity, "unit": m.unit}


@endpoint("/tents/<int:tent_id>/sensor-settings", "GET", tag=TAG,
          summary="The tent's lux factor and 'no reading' minutes", response=SensorSettingsOut,
          errors=(404,))
def get_sensor_settings(session: Session, tent_id: int):
    get_tent(session, tent_id)
    return settings_out(alert_svc.sensor_settings(session, tent_id=tent_id))


@endpoint("/tents/<int:tent_id>/sensor-settings", "PUT", tag=TAG, body=SensorSettingsIn,
          summary="Set the tent's lux factor and 'no reading' minutes (audited)",
          response=SensorSettingsOut, errors=(404,))
def put_sensor_settings(session: Session, tent_id: int, body: SensorSettingsIn):
    row = alert_svc.set_sensor_settings(session, tent_id=tent_id, lux_factor=body.lux_factor,
                                        stale_minutes=body.stale_minutes, actor=current_user)
    return settings_out(row)


@endpoint("/tents/<int:tent_id>/sensor-mappings", "GET", tag=TAG,
          summary="Device topics mapped to the tent", response=MappingOut, many=True,
          errors=(404,))
def list_mappings(session: Session, tent_id: int):
    get_tent(session, tent_id)
    return whole_list([mapping_out(m) for m in svc.list_mappings(session, tent_id=tent_id)])


@endpoint("/tents/<int:tent_id>/sensor-mappings", "POST", tag=TAG, body=MappingIn,
          summary="Map a Tasmota tele/<device>/SENSOR or ESPHome <node>/sensor/<name>/state "
                  "topic to the tent (409 when the topic is mapped already)",
          response=MappingOut, status=201, errors=(404, 409))
def post_mapping(session: Session, tent_id: int, body: MappingIn):
    m = svc.add_mapping(session, tent_id=tent_id, kind=body.kind, topic=body.topic,
                        quantity=body.quantity, unit=body.unit, actor=current_user,
                        prefix=current_app.config["MQTT_TOPIC_PREFIX"])
    return mapping_out(m)


@endpoint("/tents/<int:tent_id>/sensor-mappings/<int:mapping_id>", "DELETE", tag=TAG,
          summary="Unmap a device topic", status=204, errors=(404,))
def delete_mapping(session: Session, tent_id: int, mapping_id: int):
    svc.remove_mapping(session, tent_id=tent_id, mapping_id=mapping_id, actor=current_user)
    return Response(status=204)
