"""Tent environment: readings in (a batch, all or nothing) and out (raw or hourly)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from flask import request
from flask_login import current_user
from pydantic import BaseModel, Field, RootModel
from sqlalchemy.orm import Session

from ..services.environment import csv_import as csv_svc
from ..services.environment import readings as svc
from ..services.environment.units import QUANTITIES
from ..services.errors import Invalid
from .framework import endpoint, envelope, whole_list
from .schemas import IsoAwareDatetime, StrictIn

TAG = "Tent environment"


class ReadingIn(StrictIn):
    quantity: str = Field(max_length=16, description=" | ".join(QUANTITIES))
    value: float
    unit: str | None = Field(None, max_length=16)
    at: str | None = Field(None, max_length=40, description="ISO 8601 with offset; none = now")
    slot_id: int | None = Field(None, ge=1, le=2**31 - 1)


class ReadingsIn(RootModel[list[ReadingIn]]):
    root: list[ReadingIn] = Field(min_length=1, max_length=svc.MAX_BATCH)


class ReadingOut(BaseModel):
    id: int | None = None
    at: datetime
    quantity: str
    value: float
    unit: str
    source: str
    slot_id: int | None


class HourOut(BaseModel):
    at: datetime
    quantity: str
    min: float
    mean: float
    max: float
    n: int


class ReadingsQuery(StrictIn):
    quantity: Literal[tuple(QUANTITIES)] | None = None  # type: ignore[valid-type]
    from_: IsoAwareDatetime | None = Field(None, alias="from")
    to: IsoAwareDatetime | None = None
    resolution: Literal["raw", "hour"] = "raw"
    limit: int = Field(1000, ge=1, le=10_000)
    offset: int = Field(0, ge=0)


def reading_out(r, source: str | None = None) -> dict:
    get = r.get if isinstance(r, dict) else lambda k: getattr(r, k)
    return {"id": get("id"), "at": get("at").isoformat(), "quantity": get("quantity"),
            "value": get("value"), "unit": QUANTITIES[get("quantity")].unit,
            "source": source or get("source"), "slot_id": get("slot_id")}


@endpoint("/tents/<int:tent_id>/readings", "POST", tag=TAG, body=ReadingsIn,
          summary="Store a batch of readings (≤ 1,000; all or nothing; converted to the "
                  "canonical unit; a reading already stored is skipped)",
          response=ReadingOut, many=True, status=201, idempotent=True, errors=(404,))
def post_readings(session: Session, tent_id: int, body: ReadingsIn):
    result = svc.ingest_readings(session, tent_id=tent_id, source="api", actor=current_user,
                                 items=[i.model_dump() for i in body.root])
    return whole_list([reading_out(r, "api") for r in result.stored],
                      received=result.received, duplicates=result.duplicates)


@endpoint("/tents/<int:tent_id>/readings", "GET", tag=TAG, query=ReadingsQuery,
          summary="Readings of a tent: raw (as far back as they are kept) or hourly roll-ups",
          response=ReadingOut, many=True, errors=(404,))
def get_readings(session: Session, tent_id: int, query: ReadingsQuery):
    if query.resolution == "hour":
        svc.get_tent(session, tent_id)
        hours = svc.list_hours(session, tent_ids=[tent_id], quantity=query.quantity,
                               start=query.from_, end=query.to)
        page = hours[query.offset:query.offset + query.limit]
        return envelope([{"at": h.hour.isoformat(), "quantity": h.quantity, "min": h.min,
                          "mean": h.total / h.n, "max": h.max, "n": h.n} for h in page],
                        count=len(hours), limit=query.limit, offset=query.offset,
                        resolution="hour")
    count, rows = svc.list_readings(session, tent_id=tent_id, quantity=query.quantity,
                                    start=query.from_, end=query.to, limit=query.limit,
                                    offset=query.offset)
    return envelope([reading_out(r) for r in rows], count=count, limit=query.limit,
                    offset=query.offset, resolution="raw")


class ReadingsCsvQuery(StrictIn):
    dry_run: bool = True
    time_column: str | None = Field(None, max_length=200)
    offset: str | None = Field(None, max_length=64,
                               description="+01:00, Z or an IANA zone, for times without one")
    columns: str | None = Field(None, max_length=500,
                                description="column=quantity[:unit], comma separated")


class QuantitySpanOut(BaseModel):
    count: int
    first: datetime | None
    last: datetime | None


class ColumnOut(BaseModel):
    name: str
    quantity: str | None
    unit: str | None


class RejectedOut(BaseModel):
    line: int
    errors: list[str]


class ReadingsCsvOut(BaseModel):
    dry_run: bool
    shape: Literal["wide", "tidy"]
    time_column: str
    columns: list[ColumnOut]
    readings: int
    duplicates: int
    new: int
    stored: int
    quantities: dict[str, QuantitySpanOut]
    rejected_count: int
    rejected: list[RejectedOut]


@endpoint("/tents/<int:tent_id>/readings.csv", "POST", tag=TAG, query=ReadingsCsvQuery,
          summary="Import a data logger's CSV (multipart `file`; time,<quantity columns> or "
                  "at,quantity,value,unit); dry_run=1 by default, all-or-nothing, source csv",
          response=ReadingsCsvOut, errors=(404, 413), also=(201,),
          multipart={"type": "object", "required": ["file"], "properties": {
              "file": {"type": "string", "format": "binary",
                       "description": "CSV: time,temperature_c,humidity or "
                                      "at,quantity,value,unit"}}})
def import_readings_csv(session: Session, tent_id: int, query: ReadingsCsvQuery):
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise Invalid("Send the CSV as multipart form field 'file'.",
                      {"file": ["No file was sent."]})
    try:
        result = csv_svc.import_readings_csv(
            session, tent_id=tent_id, data=upload.read(), actor=current_user,
            dry_run=query.dry_run, time_column=query.time_column, offset=query.offset,
            columns=query.columns)
    except csv_svc.ReadingsRejected as exc:
        session.rollback()
        return {"detail": exc.detail, "errors": exc.errors, **exc.result.as_dict()}, 422
    return result.as_dict(), (200 if query.dry_run else 201)
