"""Tent-floor API: cockpit, feeding (plant, tray, queue), notes, adverse events,
remove/replace, rotation, and the experiment's event stream."""

from __future__ import annotations

from typing import Literal

from flask_login import current_user
from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..http.links import next_action_url
from ..models import AdverseEvent, Event, FeedingLog, Tray
from ..services import corrections
from ..services import experiments as exp_service
from ..services import feeding as feeding_service
from ..services import observations as obs_service
from ..services import plants as plant_service
from ..services.corrections import REASON_MAX as CORRECTION_REASON_MAX
from ..services.environment.units import QUANTITIES
from ..services.errors import Invalid, NotFound
from ..services.feeding import FEED_STATUSES, MAX_AMOUNT_ML, SKIP_REASON_MAX
from ..services.feeding import MAX_NOTES as FEED_NOTES_MAX
from ..services.observations import ADVERSE_KINDS, ADVERSE_NOTES_MAX, SEVERITIES
from ..services.plants import get_plant
from ..services.read.cockpit import cockpit
from ..services.read.feeding_queue import feeding_queue as due_plants
from ..services.rotation import NOTE_MAX as ROTATION_NOTE_MAX
from ..services.rotation import rotate_tray, rotation_history
from ..services.trays import list_trays
from .framework import endpoint, envelope, require_fresh, whole_list
from .openapi import list_schema
from .plants import PlantOut, plant_dict, plant_out
from .schemas import Page, StrictIn

TAG = "Tent floor"


class FeedIn(StrictIn):
    amount: float | None = Field(None, ge=0, le=MAX_AMOUNT_ML)
    notes: str | None = Field(None, max_length=FEED_NOTES_MAX)
    lot_id: int | None = None
    status: Literal[FEED_STATUSES] = "fed"
    reason: str | None = Field(None, max_length=SKIP_REASON_MAX)


class TrayFeedIn(StrictIn):
    amount: float | None = Field(None, ge=0, le=MAX_AMOUNT_ML)
    notes: str | None = Field(None, max_length=FEED_NOTES_MAX)
    lot_id: int | None = None


class FeedingOut(BaseModel):
    id: int
    plant_id: int
    recipe_id: int | None
    lot_id: int | None
    tray_id: int | None
    amount_ml: float | None
    status: str
    reason: str
    notes: str
    fed_at: str
    user_id: int | None
    voided_at: str | None = None
    void_reason: str = ""
    corrected_at: str | None = None
    correction_reason: str = ""
    amended_by_id: int | None = None


class NoteIn(StrictIn):
    text: str = Field(max_length=100_000)  # the service gives the friendly 10,000 limit


class RemoveIn(StrictIn):
    reason: str = Field(max_length=1000)


class ReplaceIn(StrictIn):
    reason: str | None = Field(None, max_length=1000)
    inherit_tray: bool = True


class AdverseIn(StrictIn):
    kind: Literal[ADVERSE_KINDS]
    severity: int = Field(ge=min(SEVERITIES), le=max(SEVERITIES))
    notes: str = Field("", max_length=ADVERSE_NOTES_MAX)


class AdversePatch(StrictIn):
    """``resolved`` resolves or reopens; ``kind``/``severity``/``notes`` correct a wrong
    report and need a ``reason`` (kept in the audit log)."""

    resolved: bool | None = None
    kind: Literal[ADVERSE_KINDS] | None = None
    severity: int | None = Field(None, ge=min(SEVERITIES), le=max(SEVERITIES))
    notes: str | None = Field(None, max_length=ADVERSE_NOTES_MAX)
    reason: str | None = Field(None, max_length=CORRECTION_REASON_MAX)


class RotationIn(StrictIn):
    tray_id: int
    to_slot_id: int
    note: str = Field("", max_length=ROTATION_NOTE_MAX)
    swap: bool = False


class EventQuery(Page):
    plant: str | None = Field(None, max_length=64)
    kind: str | None = Field(None, max_length=32)


def amend_out(row) -> dict:
    """The correction fields every amendable record carries."""
    return {"voided_at": row.voided_at.isoformat() if row.voided_at else None,
            "void_reason": row.void_reason or "",
            "corrected_at": row.corrected_at.isoformat() if row.corrected_at else None,
            "correction_reason": row.correction_reason or "",
            "amended_by_id": row.amended_by_id}


def feeding_out(log: FeedingLog) -> dict:
    return {"id": log.id, "plant_id": log.plant_id, "recipe_id": log.recipe_id,
            "lot_id": log.lot_id, "tray_id": log.tray_id, "amount_ml": log.amount_ml,
            "status": log.status, "reason": log.reason, "notes": log.notes,
            "fed_at": log.fed_at.isoformat(), "user_id": log.user_id, **amend_out(log)}


def adverse_out(e: AdverseEvent) -> dict:
    return {"id": e.id, "kind": e.kind, "severity": e.severity, "notes": e.notes,
            "observed_at": e.observed_at.isoformat(),
            "resolved_at": e.resolved_at.isoformat() if e.resolved_at else None,
            "plant_id": e.plant_id, "user_id": e.user_id, **amend_out(e)}


def event_out(e: Event) -> dict:
    return {"id": e.id, "experiment_id": e.experiment_id, "plant_id": e.plant_id,
            "tray_id": e.tray_id, "kind": e.kind, "summary": e.summary, "payload": e.payload,
            "user_id": e.user_id, "at": e.at.isoformat()}


@endpoint("/plants/<uuid:plant_uuid>/cockpit", "GET", tag=TAG, errors=(404,),
          summary="Plant, location, recipe, next actions in priority order, recent activity")
def get_cockpit(session: Session, plant_uuid):
    c = cockpit(session, plant_uuid)
    plant = plant_dict(c.plant, c.location, c.links)  # the cockpit read both
    return {"plant": plant, "location": plant["location"], "recipe": plant["recipe"],
            "week": c.week, "last_fed_at": c.last_fed_at.isoformat() if c.last_fed_at else None,
            "next_actions": [{"key": a.key, "label": a.label, "url": next_action_url(a),
                              "detail": a.detail}
                             for a in c.actions],
            "recent_activity": [event_out(e) for e in c.recent],
            "tent_now": tent_now_out(c)}


def tent_now_out(c) -> dict | None:
    """The plant's tent now (as the cockpit's tile): None when it is not in a tent."""
    tn, tent = c.tent_now, c.location.tent
    if tn is None or tent is None:
        return None
    return {"tent": {"id": tent.id, "code": tent.code},
            "readings": {q: {"value": tn.latest[q].value, "unit": QUANTITIES[q].unit,
                             "at": tn.latest[q].at.isoformat(), "state": tn.state(q) or None}
                         for q in tn.quantities},
            "vpd_kpa": round(tn.vpd, 3) if tn.vpd is not None else None,
            "alerts": [{"quantity": a.quantity, "kind": a.kind, "detail": a.detail,
                        "raised_at": a.raised_at.isoformat()} for a in tn.alerts],
            "stale": tn.stale,
            "updated_at": tn.newest_at.isoformat() if tn.newest_at else None}


@endpoint("/plants/<uuid:plant_uuid>/feed", "POST", tag=TAG, body=FeedIn, response=FeedingOut,
          summary="Log a feed (or a skip with a reason); 409 when not running, unplaced or "
                  "without recipe", status=201, idempotent=True, errors=(404, 409))
def feed_plant(session: Session, plant_uuid, body: FeedIn):
    log = feeding_service.log_feeding(session, plant_uuid=plant_uuid, actor=current_user,
                                      status=body.status, amount_ml=body.amount,
                                      lot_id=body.lot_id, notes=body.notes, reason=body.reason)
    return feeding_out(log)


@endpoint("/plants/<uuid:plant_uuid>/feeding/recent", "GET", tag=TAG, response=FeedingOut,
          many=True, summary="The plant's last ten feeding logs", errors=(404,))
def recent_feedings(session: Session, plant_uuid):
    plant = get_plant(session, plant_uuid)
    logs = feeding_service.last_feedings(session, plant.id)
    return envelope([feeding_out(lg) for lg in logs], count=len(logs), limit=10, offset=0)


@endpoint("/trays/<int:tray_id>/feed", "POST", tag=TAG, body=TrayFeedIn, response=FeedingOut,
          many=True, summary="Feed every active plant in the tray", status=201,
          idempotent=True, errors=(404, 409))
def feed_tray(session: Session, tray_id: int, body: TrayFeedIn):
    logs = feeding_service.feed_tray(session, tray_id=tray_id, actor=current_user,
                                     amount_ml=body.amount, lot_id=body.lot_id, notes=body.notes)
    return whole_list([feeding_out(lg) for lg in logs])


class QueueTrayOut(BaseModel):
    id: int
    code: str
    uuid: str


class FeedingQueueItemOut(BaseModel):
    plant_uuid: str
    plant_code: str
    species: str
    tray: QueueTrayOut
    tent: str | None
    slot: str | None
    recipe: str | None
    recipe_colour: str | None = None
    last_fed_at: str | None


FEEDING_QUEUE_SCHEMA = list_schema({"$ref": "#/components/schemas/FeedingQueueItemOut"})
FEEDING_QUEUE_SCHEMA["properties"]["meta"]["properties"].update({
    "blockers": {"type": "array", "items": {"type": "string"},
                 "description": "Why some plants cannot be fed (not running, unplaced, "
                                "trays without recipe)."},
    "window_days": {"type": "integer"},
    "next_offset": {"type": ["integer", "null"],
                    "description": "offset of the next page; null on the last"}})


@endpoint("/experiments/<int:experiment_id>/feeding/queue", "GET", tag=TAG, query=Page,
          summary="Plants due for feeding (tent, tray, code order) and blockers; paged "
                  "(limit, default 50, and offset) in the database, count over every due "
                  "plant", many=True, response=FeedingQueueItemOut,
          schema=FEEDING_QUEUE_SCHEMA, errors=(404,))
def feeding_queue(session: Session, experiment_id: int, query: Page):
    queue = due_plants(session, experiment_id, offset=query.offset, limit=query.limit)
    following = query.offset + len(queue.due)
    return envelope([{"plant_uuid": i.plant_uuid, "plant_code": i.plant_code,
                      "species": i.species_name,
                      "tray": {"id": i.tray_id, "code": i.tray_code, "uuid": i.tray_uuid},
                      "tent": i.tent_code, "slot": i.slot_code, "recipe": i.recipe_code,
                      "recipe_colour": i.recipe_colour,
                      "last_fed_at": i.last_fed_at.isoformat() if i.last_fed_at else None}
                     for i in queue.due], count=queue.total, limit=query.limit,
                    offset=query.offset, blockers=queue.blockers,
                    window_days=queue.window_days,
                    next_offset=following if queue.due and following < queue.total else None)


@endpoint("/plants/<uuid:plant_uuid>/notes", "POST", tag=TAG, body=NoteIn, status=201,
          summary="Add a note", idempotent=True, errors=(404,))
def add_note(session: Session, plant_uuid, body: NoteIn):
    note = obs_service.add_note(session, plant_uuid=plant_uuid, text=body.text,
                                actor=current_user)
    return {"id": note.id, "plant_uuid": str(plant_uuid), "text": note.text,
            "created_at": note.created_at.isoformat()}


@endpoint("/plants/<uuid:plant_uuid>/remove", "POST", tag=TAG, body=RemoveIn,
          response=PlantOut, summary="Remove a plant (with a reason)", errors=(404, 409))
def remove_plant(session: Session, plant_uuid, body: RemoveIn):
    return plant_out(session, plant_service.remove_plant(session, plant_uuid=plant_uuid,
                                                         reason=body.reason, actor=current_user))


@endpoint("/plants/<uuid:plant_uuid>/replace", "POST", tag=TAG, body=ReplaceIn,
          response=PlantOut, status=201, errors=(404, 409),
          summary="Replace a plant by a new one (new code and uuid, linked both ways)")
def replace_plant(session: Session, plant_uuid, body: ReplaceIn):
    new = plant_service.replace_plant(session, plant_uuid=plant_uuid, actor=current_user,
                                      reason=body.reason or "", inherit_tray=body.inherit_tray)
    return plant_out(session, new)


@endpoint("/plants/<uuid:plant_uuid>/adverse-events", "POST", tag=TAG, body=AdverseIn,
          status=201, summary="Report a pest, disease, damage or stress", errors=(404, 409))
def report_adverse(session: Session, plant_uuid, body: AdverseIn):
    e = obs_service.report_adverse(session, plant_uuid=plant_uuid, actor=current_user,
                                   **body.model_dump())
    return {"id": e.id, "plant_uuid": str(plant_uuid), "kind": e.kind, "severity": e.severity,
            "notes": e.notes, "observed_at": e.observed_at.isoformat(), "resolved_at": None}


@endpoint("/adverse-events/<int:adverse_id>", "GET", tag=TAG, etag=True, errors=(404,),
          summary="One adverse event (issue report), with its correction fields")
def get_adverse(session: Session, adverse_id: int):
    return adverse_out(_adverse(session, adverse_id))


def _adverse(session: Session, adverse_id: int) -> AdverseEvent:
    e = session.get(AdverseEvent, adverse_id) if 0 < adverse_id < 2**63 else None
    if e is None:
        raise NotFound(f"Adverse event {adverse_id} does not exist.")
    return e


@endpoint("/adverse-events/<int:adverse_id>", "PATCH", tag=TAG, body=AdversePatch,
          summary="Resolve (or reopen) an adverse event; or correct its kind, severity or "
                  "notes with a reason (the person who reported it, or an admin)",
          errors=(403, 404, 409, 412))
def patch_adverse(session: Session, adverse_id: int, body: AdversePatch):
    require_fresh(adverse_out(_adverse(session, adverse_id)))
    fields = body.model_dump(exclude_unset=True, exclude={"resolved", "reason"})
    if body.resolved is None and not fields:
        raise Invalid("Send resolved, or the fields to correct with a reason.",
                      {"body": ["Nothing to change."]})
    if fields:
        corrections.correct_adverse(session, adverse_id=adverse_id, actor=current_user,
                                    reason=body.reason or "", **fields)
    if body.resolved is not None:
        obs_service.resolve_adverse(session, adverse_id=adverse_id, actor=current_user,
                                    resolved=body.resolved)
    return adverse_out(_adverse(session, adverse_id))


@endpoint("/experiments/<int:experiment_id>/rotation/summary", "GET", tag=TAG, errors=(404,),
          summary="Trays with their slots and the recent moves")
def rotation_summary(session: Session, experiment_id: int):
    exp_service.get_experiment(session, experiment_id)
    trays = list_trays(session, experiment_id)
    return {"trays": [{"id": r.tray.id, "code": r.tray.code,
                       "slot": {"id": r.slot.id, "code": r.slot.code} if r.slot else None,
                       "tent": r.tent.code if r.tent else None} for r in trays],
            "history": [{"tray": h.tray_code, "from": h.from_code, "to": h.to_code,
                         "moved_at": h.moved_at.isoformat(), "note": h.note}
                        for h in rotation_history(session, experiment_id=experiment_id)]}


@endpoint("/experiments/<int:experiment_id>/rotation/log", "POST", tag=TAG, body=RotationIn,
          status=201, idempotent=True, errors=(404, 409),
          summary="Move a tray to a slot (swap=true exchanges with the tray there)")
def rotation_log(session: Session, experiment_id: int, body: RotationIn):
    tray = session.get(Tray, body.tray_id)
    if tray is None or tray.experiment_id != experiment_id:
        raise NotFound(f"Tray {body.tray_id} is not in experiment {experiment_id}.")
    logs = rotate_tray(session, tray_id=body.tray_id, to_slot_id=body.to_slot_id,
                       note=body.note, swap=body.swap, actor=current_user)
    return {"moves": [{"id": lg.id, "tray_id": lg.tray_id, "from_slot_id": lg.from_slot_id,
                       "to_slot_id": lg.to_slot_id, "moved_at": lg.moved_at.isoformat(),
                       "note": lg.note} for lg in logs]}


@endpoint("/experiments/<int:experiment_id>/events", "GET", tag=TAG, query=EventQuery,
          many=True, summary="The activity stream, newest first", errors=(404,))
def list_events(session: Session, experiment_id: int, query: EventQuery):
    exp_service.get_experiment(session, experiment_id)
    stmt = select(Event).where(Event.experiment_id == experiment_id)
    if query.plant:
        stmt = stmt.where(Event.plant_id == get_plant(session, query.plant).id)
    if query.kind:
        stmt = stmt.where(Event.kind == query.kind)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(Event.at.desc(), Event.id.desc())
                           .limit(query.limit).offset(query.offset))
    return envelope([event_out(e) for e in rows], count=total, limit=query.limit,
                    offset=query.offset)
