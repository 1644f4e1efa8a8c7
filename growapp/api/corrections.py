"""Mending floor records after the one-minute undo: read, correct (PATCH) or void a
feeding log, a week's measurements or a note, with a reason. Adverse events: PATCH and
void next to their other routes (floor.py and here). GETs send an ETag; PATCH and void
honour If-Match (412 when stale)."""

from __future__ import annotations

from flask_login import current_user
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from ..models import AdverseEvent, FeedingLog, Note, Plant, PlantMetric
from ..services import corrections
from ..services.corrections import REASON_MAX, UNSET
from ..services.errors import Invalid, NotFound
from ..services.feeding import MAX_AMOUNT_ML, SKIP_REASON_MAX
from ..services.feeding import MAX_NOTES as FEED_NOTES_MAX
from .floor import FeedingOut, adverse_out, amend_out, feeding_out
from .framework import endpoint, require_fresh
from .schemas import StrictIn

TAG = "Corrections"


class VoidIn(StrictIn):
    reason: str = Field(max_length=REASON_MAX)


class FeedingPatch(StrictIn):
    reason: str = Field(max_length=REASON_MAX)
    amount: float | None = Field(None, ge=0, le=MAX_AMOUNT_ML)
    lot_id: int | None = None
    notes: str | None = Field(None, max_length=FEED_NOTES_MAX)
    skip_reason: str | None = Field(None, max_length=SKIP_REASON_MAX)


class MetricPatch(StrictIn):
    reason: str = Field(max_length=REASON_MAX)
    values: dict


class NotePatch(StrictIn):
    reason: str = Field(max_length=REASON_MAX)
    text: str = Field(max_length=100_000)  # the service gives the friendly 10,000 limit


class MetricRecordOut(BaseModel):
    id: int
    plant_id: int
    plant_uuid: str
    week_number: int
    values: dict
    recorded_at: str
    recorded_by_id: int | None
    voided_at: str | None
    void_reason: str
    corrected_at: str | None
    correction_reason: str
    amended_by_id: int | None


class NoteOut(BaseModel):
    id: int
    plant_id: int
    plant_uuid: str
    text: str
    created_at: str
    user_id: int | None
    voided_at: str | None
    void_reason: str
    corrected_at: str | None
    correction_reason: str
    amended_by_id: int | None


def _get(session: Session, model, row_id: int, words: str):
    row = session.get(model, row_id) if 0 < row_id < 2**63 else None
    if row is None:
        raise NotFound(f"{words} {row_id} does not exist.")
    return row


def metric_out(session: Session, m: PlantMetric) -> dict:
    return {"id": m.id, "plant_id": m.plant_id,
            "plant_uuid": str(session.get(Plant, m.plant_id).uuid),
            "week_number": m.week_number, "values": m.values,
            "recorded_at": m.recorded_at.isoformat(), "recorded_by_id": m.recorded_by_id,
            **amend_out(m)}


def note_out(session: Session, n: Note) -> dict:
    return {"id": n.id, "plant_id": n.plant_id,
            "plant_uuid": str(session.get(Plant, n.plant_id).uuid), "text": n.text,
            "created_at": n.created_at.isoformat(), "user_id": n.user_id, **amend_out(n)}


# Feedings ---------------------------------------------------------------------------------

@endpoint("/feedings/<int:log_id>", "GET", tag=TAG, response=FeedingOut, etag=True,
          errors=(404,), summary="One feeding log, with its correction fields")
def get_feeding(session: Session, log_id: int):
    return feeding_out(_get(session, FeedingLog, log_id, "Feeding log"))


@endpoint("/feedings/<int:log_id>", "PATCH", tag=TAG, body=FeedingPatch, response=FeedingOut,
          errors=(403, 404, 409, 412),
          summary="Correct a feeding's amount, lot, notes or skip reason, with a reason (the "
                  "person who logged it, or an admin)")
def patch_feeding(session: Session, log_id: int, body: FeedingPatch):
    require_fresh(feeding_out(_get(session, FeedingLog, log_id, "Feeding log")))
    given = body.model_dump(exclude_unset=True, exclude={"reason"})
    if not given:
        raise Invalid("Send at least one field to correct.", {"body": ["Nothing to change."]})
    log = corrections.correct_feeding(
        session, log_id=log_id, actor=current_user, reason=body.reason,
        amount_ml=given.get("amount", UNSET), lot_id=given.get("lot_id", UNSET),
        notes=given.get("notes", UNSET), skip_reason=given.get("skip_reason", UNSET))
    return feeding_out(log)


@endpoint("/feedings/<int:log_id>/void", "POST", tag=TAG, body=VoidIn, response=FeedingOut,
          errors=(403, 404, 409, 412),
          summary="Void a wrong feeding with a reason: it leaves the queue, cockpit, report "
                  "and exports (the plant is due again); the audit log keeps it")
def void_feeding(session: Session, log_id: int, body: VoidIn):
    require_fresh(feeding_out(_get(session, FeedingLog, log_id, "Feeding log")))
    return feeding_out(corrections.void_record(session, kind="feeding", record_id=log_id,
                                               actor=current_user, reason=body.reason))


# Measurements -----------------------------------------------------------------------------

@endpoint("/metrics/<int:metric_id>", "GET", tag=TAG, response=MetricRecordOut, etag=True,
          errors=(404,), summary="One plant's measurements of one week")
def get_metric(session: Session, metric_id: int):
    return metric_out(session, _get(session, PlantMetric, metric_id, "Measurement"))


@endpoint("/metrics/<int:metric_id>", "PATCH", tag=TAG, body=MetricPatch, response=MetricRecordOut,
          errors=(403, 404, 409, 412),
          summary="Correct some values of a week's measurements, with a reason (a started "
                  "trial's baseline: admins only)")
def patch_metric(session: Session, metric_id: int, body: MetricPatch):
    require_fresh(metric_out(session, _get(session, PlantMetric, metric_id, "Measurement")))
    return metric_out(session, corrections.correct_measurement(
        session, metric_id=metric_id, actor=current_user, reason=body.reason,
        values=body.values))


@endpoint("/metrics/<int:metric_id>/void", "POST", tag=TAG, body=VoidIn, response=MetricRecordOut,
          errors=(403, 404, 409, 412),
          summary="Void a week's measurements with a reason (the week is due again)")
def void_metric(session: Session, metric_id: int, body: VoidIn):
    require_fresh(metric_out(session, _get(session, PlantMetric, metric_id, "Measurement")))
    return metric_out(session, corrections.void_record(
        session, kind="measurement", record_id=metric_id, actor=current_user,
        reason=body.reason))


# Notes ------------------------------------------------------------------------------------

@endpoint("/notes/<int:note_id>", "GET", tag=TAG, response=NoteOut, etag=True, errors=(404,),
          summary="One note")
def get_note(session: Session, note_id: int):
    return note_out(session, _get(session, Note, note_id, "Note"))


@endpoint("/notes/<int:note_id>", "PATCH", tag=TAG, body=NotePatch, response=NoteOut,
          errors=(403, 404, 409, 412), summary="Correct a note's text, with a reason")
def patch_note(session: Session, note_id: int, body: NotePatch):
    require_fresh(note_out(session, _get(session, Note, note_id, "Note")))
    return note_out(session, corrections.correct_note(
        session, note_id=note_id, actor=current_user, reason=body.reason, text=body.text))


@endpoint("/notes/<int:note_id>/void", "POST", tag=TAG, body=VoidIn, response=NoteOut,
          errors=(403, 404, 409, 412), summary="Void a note, with a reason")
def void_note(session: Session, note_id: int, body: VoidIn):
    require_fresh(note_out(session, _get(session, Note, note_id, "Note")))
    return note_out(session, corrections.void_record(session, kind="note", record_id=note_id,
                                                     actor=current_user, reason=body.reason))


# Adverse events ---------------------------------------------------------------------------

@endpoint("/adverse-events/<int:adverse_id>/void", "POST", tag=TAG, body=VoidIn,
          errors=(403, 404, 409, 412),
          summary="Void a wrong issue report, with a reason (it leaves the cockpit, report "
                  "and exports)")
def void_adverse(session: Session, adverse_id: int, body: VoidIn):
    require_fresh(adverse_out(_get(session, AdverseEvent, adverse_id, "Adverse event")))
    return adverse_out(corrections.void_record(session, kind="adverse", record_id=adverse_id,
                                               actor=current_user, reason=body.reason))
