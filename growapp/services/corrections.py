"""Mending mistakes after the one-minute undo: correct or void a feeding, a measurement,
a note or an adverse event, with a reason.

Only the person who logged the record, or an admin, may do it. The row is changed in
place (corrected values) or marked voided; the audit hook keeps the original values and
the reason (``session.info["reason"]``), so history is never lost. Voided rows drop out
of queues, the cockpit, the report and the exports (each read filters ``voided_at``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import AdverseEvent, Event, FeedingLog, Lot, Note, Plant, PlantMetric, User, utcnow
from .errors import Conflict, Forbidden, Invalid, NotFound
from .events import record_event
from .feeding import MAX_AMOUNT_ML, MAX_NOTES, _check_inputs
from .metrics import describe_values, template_fields, validate_values
from .observations import ADVERSE_KINDS, ADVERSE_NOTES_MAX, MAX_NOTE, SEVERITIES

REASON_MAX = 500
UNSET = object()  # "leave this field as it is"

# what → (model, owner column, payload key of its Event, words)
KINDS = {
    "feeding": (FeedingLog, "user_id", "feeding_log_id", "feed"),
    "measurement": (PlantMetric, "recorded_by_id", None, "measurement"),
    "note": (Note, "user_id", "note_id", "note"),
    "adverse": (AdverseEvent, "user_id", "adverse_event_id", "issue report"),
}


def may_amend(actor: User | None, row) -> bool:
    """The person who logged it (an operator still) or an admin."""
    if actor is None or not getattr(actor, "is_authenticated", True):
        return False
    if actor.has_role("admin"):
        return True
    owner = getattr(row, KINDS[_kind_of(row)][1])
    return actor.has_role("operator") and owner is not None and owner == actor.id


def _kind_of(row) -> str:
    for kind, (model, *_rest) in KINDS.items():
        if isinstance(row, model):
            return kind
    raise TypeError(row)


def _load(session: Session, kind: str, row_id, plant_id: int | None):
    model, *_rest, words = KINDS[kind]
    row = session.get(model, row_id) if isinstance(row_id, int) and 0 < row_id < 2**63 \
        else None
    if row is None or (plant_id is not None and row.plant_id != plant_id):
        raise NotFound(f"That {words} does not exist.")
    return row


def _begin(session: Session, kind: str, row_id, *, actor: User, reason: str | None,
           plant_id: int | None):
    row = _load(session, kind, row_id, plant_id)
    words = KINDS[kind][3]
    if not may_amend(actor, row):
        raise Forbidden(f"Only the person who logged this {words}, or an admin, can correct "
                        "or void it.")
    reason = (reason or "").strip()
    if not reason:
        raise Invalid(f"Say why the {words} is being changed.",
                      {"reason": ["Give a reason (it is kept in the audit log)."]})
    if len(reason) > REASON_MAX:
        raise Invalid(errors={"reason": [f"Use at most {REASON_MAX} characters."]})
    if row.voided_at is not None:
        raise Conflict(f"This {words} was voided {row.voided_at:%Y-%m-%d %H:%M} UTC; it cannot "
                       "be changed any more.", {"voided": True,
                                                "voided_at": row.voided_at.isoformat()})
    session.info["reason"] = reason  # written into this change's audit rows
    return row, reason


def _original_events(session: Session, kind: str, row) -> list[Event]:
    """The activity lines that announced this record (matched in Python: JSON payloads)."""
    if kind == "measurement":
        kinds, match = ["plant.measured"], lambda e: e.payload.get("week_number") == row.week_number
    else:
        key = KINDS[kind][2]
        kinds = {"feeding": ["plant.fed", "plant.feed_skipped"], "note": ["plant.noted"],
                 "adverse": ["plant.adverse"]}[kind]
        match = lambda e: e.payload.get(key) == row.id  # noqa: E731
    return [e for e in session.scalars(select(Event).where(Event.kind.in_(kinds),
                                                           Event.plant_id == row.plant_id))
            if match(e) and not e.payload.get("voided")]


def _finish(session: Session, kind: str, row, *, actor: User, reason: str, action: str,
            now: datetime, summary: str | None = None) -> None:
    plant = session.get(Plant, row.plant_id)
    words = KINDS[kind][3]
    row.amended_by_id = actor.id
    for event in _original_events(session, kind, row):
        if action == "voided":
            event.summary = f"(voided) {event.summary}"[:500]
            event.payload = {**event.payload, "voided": True}
        elif summary:
            event.summary = f"{summary} (corrected)"[:500]
            event.payload = {**event.payload, "corrected": True}
    record_event(session, kind=f"plant.{kind}_{action}"[:32], actor=actor,
                 experiment_id=plant.experiment_id, plant_id=plant.id,
                 tray_id=getattr(row, "tray_id", None),
                 summary=f"{words.capitalize()} {action}: {reason}"[:500],
                 payload={"record": kind, "id": row.id, "reason": reason,
                          "at": now.isoformat()})
    session.flush()


def _baseline_lock(session: Session, metric: PlantMetric, actor: User) -> Plant:
    """SPEC §4: once running, week 0 changes only by an admin (with a reason)."""
    plant = session.get(Plant, metric.plant_id)
    if metric.week_number == 0 and plant.experiment.status != "draft" \
            and not actor.has_role("admin"):
        raise Forbidden(f"The baseline of {plant.plant_code} is locked since the experiment "
                        "started; only an admin can correct or void it.")
    return plant


def void_record(session: Session, *, kind: str, record_id: int, actor: User, reason: str,
                plant_id: int | None = None, now: datetime | None = None):
    """Void a feeding, measurement, note or adverse event. Raises NotFound, Forbidden (not
    the logger nor an admin), Invalid (no reason), Conflict (already voided)."""
    if kind not in KINDS:
        raise NotFound("Nothing of that kind can be voided.")
    now = now or utcnow()
    row, reason = _begin(session, kind, record_id, actor=actor, reason=reason,
                         plant_id=plant_id)
    if kind == "measurement":
        _baseline_lock(session, row, actor)
    row.voided_at = now
    row.void_reason = reason
    _finish(session, kind, row, actor=actor, reason=reason, action="voided", now=now)
    return row


def correct_feeding(session: Session, *, log_id: int, actor: User, reason: str,
                    amount_ml=UNSET, lot_id=UNSET, notes=UNSET, skip_reason=UNSET,
                    plant_id: int | None = None, now: datetime | None = None) -> FeedingLog:
    """Correct the amount, lot, notes (or a skip's reason) of a feeding log. Raises
    NotFound, Forbidden, Invalid, Conflict (voided; lot of another recipe)."""
    now = now or utcnow()
    log, reason = _begin(session, "feeding", log_id, actor=actor, reason=reason,
                         plant_id=plant_id)
    clean = _check_inputs(status=log.status,
                          reason=log.reason if skip_reason is UNSET else skip_reason,
                          amount_ml=None if amount_ml is UNSET else amount_ml,
                          notes=None if notes is UNSET else notes)
    if amount_ml is not UNSET:
        if amount_ml in (None, ""):
            raise Invalid(errors={"amount": [f"Enter the amount in ml (0 to {MAX_AMOUNT_ML:,})."]})
        log.amount_ml = clean["amount"]
    if lot_id is not UNSET:
        if lot_id in (None, ""):
            log.lot_id = None
        else:
            lot = session.get(Lot, lot_id) if isinstance(lot_id, int) and 0 < lot_id < 2**63 \
                else None
            if lot is None or lot.recipe_id is None or lot.recipe_id != log.recipe_id:
                raise Invalid(errors={"lot_id": ["Choose a lot mixed for this feed's recipe."]})
            log.lot_id = lot.id
    if notes is not UNSET:
        log.notes = (notes or "").strip()[:MAX_NOTES]
    if skip_reason is not UNSET and log.status == "skipped":
        log.reason = (skip_reason or "").strip()
    log.corrected_at = now
    log.correction_reason = reason
    summary = (f"Fed, {log.amount_ml:g} ml" if log.status == "fed" and log.amount_ml is not None
               else "Fed" if log.status == "fed" else f"Skipped feed: {log.reason}")
    _finish(session, "feeding", log, actor=actor, reason=reason, action="corrected", now=now,
            summary=summary)
    return log


def correct_measurement(session: Session, *, metric_id: int, actor: User, reason: str,
                        values: dict, plant_id: int | None = None,
                        now: datetime | None = None) -> PlantMetric:
    """Correct some values of one week's measurements (the others are kept); checked
    against the species' template. A started experiment's baseline stays admin-only.
    Raises NotFound, Forbidden, Invalid, Conflict (voided)."""
    now = now or utcnow()
    metric, reason = _begin(session, "measurement", metric_id, actor=actor, reason=reason,
                            plant_id=plant_id)
    plant = _baseline_lock(session, metric, actor)
    if not isinstance(values, dict) or not values:
        raise Invalid("Change at least one value.", {"values": ["Nothing to correct."]})
    merged = {**(metric.values or {}), **values}
    fields = template_fields(session, plant.species.category)
    metric.values = validate_values(fields, merged)
    metric.corrected_at = now
    metric.correction_reason = reason
    label = "Baseline" if metric.week_number == 0 else f"Week {metric.week_number}"
    bits = describe_values(fields, metric.values)
    _finish(session, "measurement", metric, actor=actor, reason=reason, action="corrected",
            now=now, summary=f"{label}: {bits}")
    return metric


def correct_note(session: Session, *, note_id: int, actor: User, reason: str, text: str,
                 plant_id: int | None = None, now: datetime | None = None) -> Note:
    """Replace a note's text. Raises NotFound, Forbidden, Invalid, Conflict (voided)."""
    now = now or utcnow()
    note, reason = _begin(session, "note", note_id, actor=actor, reason=reason,
                          plant_id=plant_id)
    text = (text or "").strip()
    if not text:
        raise Invalid(errors={"text": ["Write the corrected note, or void it instead."]})
    if len(text) > MAX_NOTE:
        raise Invalid(errors={"text": [f"Keep a note under {MAX_NOTE:,} characters."]})
    note.text = text
    note.corrected_at = now
    note.correction_reason = reason
    _finish(session, "note", note, actor=actor, reason=reason, action="corrected", now=now,
            summary=f"Note: {text[:200]}")
    return note


def correct_adverse(session: Session, *, adverse_id: int, actor: User, reason: str,
                    kind=UNSET, severity=UNSET, notes=UNSET, plant_id: int | None = None,
                    now: datetime | None = None) -> AdverseEvent:
    """Correct an issue report's kind, severity or notes. Raises NotFound, Forbidden,
    Invalid, Conflict (voided)."""
    now = now or utcnow()
    event, reason = _begin(session, "adverse", adverse_id, actor=actor, reason=reason,
                           plant_id=plant_id)
    errors: dict[str, list[str]] = {}
    if kind is not UNSET and kind not in ADVERSE_KINDS:
        errors["kind"] = [f"Choose one of {', '.join(ADVERSE_KINDS)}."]
    if severity is not UNSET:
        try:
            severity = int(severity)
        except (TypeError, ValueError):
            severity = 0
        if severity not in SEVERITIES:
            errors["severity"] = ["Severity is 1 (mild), 2 or 3 (severe)."]
    if notes is not UNSET and len(notes or "") > ADVERSE_NOTES_MAX:
        errors["notes"] = [f"Use at most {ADVERSE_NOTES_MAX:,} characters."]
    if errors:
        raise Invalid(errors=errors)
    if kind is not UNSET:
        event.kind = kind
    if severity is not UNSET:
        event.severity = severity
    if notes is not UNSET:
        event.notes = (notes or "").strip()
    event.corrected_at = now
    event.correction_reason = reason
    _finish(session, "adverse", event, actor=actor, reason=reason, action="corrected", now=now,
            summary=f"Reported {event.kind} (severity {event.severity})"
                    + (f": {event.notes[:150]}" if event.notes else ""))
    return event


def amendable(session: Session, *, plant_id: int, actor: User | None,
              limit: int = 5, measurements: list[PlantMetric] | None = None) -> dict[str, list]:
    """What the actor may still correct or void on one plant: the latest live feedings,
    measurements, notes and issue reports they logged (all of them for an admin).
    Four small queries (three when the caller already holds the plant's live
    ``measurements``, latest week first); empty for viewers."""
    out: dict[str, list] = {k: [] for k in KINDS}
    if actor is None or not getattr(actor, "is_authenticated", False) \
            or not actor.has_role("operator"):
        return out
    admin = actor.has_role("admin")
    order = {"feeding": FeedingLog.fed_at, "measurement": PlantMetric.week_number,
             "note": Note.created_at, "adverse": AdverseEvent.observed_at}
    for kind, (model, owner, *_rest) in KINDS.items():
        if kind == "measurement" and measurements is not None:
            out[kind] = [m for m in measurements if m.voided_at is None
                         and (admin or m.recorded_by_id == actor.id)][:limit]
            continue
        stmt = select(model).where(model.plant_id == plant_id, model.voided_at.is_(None))
        if not admin:
            stmt = stmt.where(getattr(model, owner) == actor.id)
        out[kind] = list(session.scalars(stmt.order_by(order[kind].desc(), model.id.desc())
                                         .limit(limit)))
    return out
