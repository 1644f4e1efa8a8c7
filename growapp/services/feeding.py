"""Feeding: log a feed (or a skip with a reason), feed a whole tray, undo; the lots to offer
and a plant's last feeds. The queue of plants due is a read model (read/feeding_queue.py).

Feeding needs a running experiment and a plant placed in a tray with a recipe; the recipe
is resolved from the tray at the moment of feeding and stored on the log.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from ..models import (
    Event,
    Experiment,
    FeedingLog,
    Lot,
    Plant,
    Recipe,
    Tray,
    TrayPlant,
    User,
    utcnow,
)
from .errors import Conflict, Forbidden, Invalid, NotFound
from .events import record_event
from .experiments import get_experiment, require_running
from .plants import plant_key
from .read.feeding_queue import LIVE
from .trays import get_tray

UNDO_SECONDS = 60
MAX_NOTES = 2000
FEED_STATUSES = ("fed", "skipped")
SKIP_REASON_MAX = 500
MAX_AMOUNT_ML = 100_000
RECENT_FEED_MINUTES = 30  # a second feed within this asks first (pages only; the API never asks)


def _ago_text(minutes: int) -> str:
    return "just now" if minutes < 1 else f"{minutes} min ago"


def _ask_if_recent(session: Session, *, plant_ids: list[int], now: datetime,
                   subject: str | None = None) -> None:
    """Conflict "Fed 3 min ago by Demo Operator — feed again?" when one of the plants was fed
    (not voided) within RECENT_FEED_MINUTES. The page re-posts with confirm=1 to go on."""
    row = session.execute(
        select(FeedingLog.fed_at, User.display_name, Plant.plant_code)
        .join(Plant, Plant.id == FeedingLog.plant_id)
        .outerjoin(User, User.id == FeedingLog.user_id)
        .where(FeedingLog.plant_id.in_(plant_ids), FeedingLog.status == "fed", LIVE,
               FeedingLog.fed_at > now - timedelta(minutes=RECENT_FEED_MINUTES),
               FeedingLog.fed_at <= now + timedelta(minutes=1))
        .order_by(FeedingLog.fed_at.desc(), FeedingLog.id.desc()).limit(1)).first()
    if row is None:
        return
    fed_at, by, code = row
    minutes = max(int((now - fed_at).total_seconds() // 60), 0)
    by = by or "someone"
    lead = f"{subject}: fed" if subject else "Fed"
    raise Conflict(f"{lead} {_ago_text(minutes)} by {by} — feed again?",
                   {"recent_feed": True, "last_fed_at": fed_at.isoformat(), "by": by,
                    "minutes_ago": minutes, "plant": code,
                    "window_minutes": RECENT_FEED_MINUTES})


def _check_inputs(*, status: str, reason: str | None, amount_ml, notes: str | None) -> dict:
    errors: dict[str, list[str]] = {}
    if status not in FEED_STATUSES:
        errors["status"] = ["Use fed or skipped."]
    if status == "skipped" and not (reason or "").strip():
        errors["reason"] = ["Say why this feed is skipped."]
    if reason and len(reason) > SKIP_REASON_MAX:
        errors["reason"] = [f"Use at most {SKIP_REASON_MAX} characters."]
    if notes and len(notes) > MAX_NOTES:
        errors["notes"] = [f"Use at most {MAX_NOTES:,} characters."]
    amount = None
    if amount_ml not in (None, ""):
        try:
            amount = float(amount_ml)
        except (TypeError, ValueError):
            errors["amount"] = ["Enter the amount in ml as a number."]
        else:
            if not 0 <= amount <= MAX_AMOUNT_ML:
                errors["amount"] = [f"Enter an amount from 0 to {MAX_AMOUNT_ML:,} ml."]
    if errors:
        raise Invalid(errors=errors)
    return {"amount": amount}


def _lot(session: Session, lot_id, recipe: Recipe) -> Lot | None:
    if lot_id in (None, ""):
        return None
    lot = session.get(Lot, lot_id) if isinstance(lot_id, int) else None
    if lot is None or lot.experiment_id != recipe.experiment_id:
        raise Invalid(errors={"lot_id": ["Choose a lot of this experiment."]})
    if lot.recipe_id != recipe.id:
        raise Conflict(f"Lot {lot.code} was mixed for another recipe, not {recipe.code}.",
                       {"lot": lot.code, "recipe": recipe.code})
    return lot


def _plant_to_feed(session: Session, plant_uuid) -> tuple[Plant, Experiment, Tray | None,
                                                        Recipe | None]:
    """The plant (with its species), its experiment, its tray and the tray's recipe, in one
    statement (four round trips to PostgreSQL on every tap before); NotFound."""
    row = session.execute(
        select(Plant, Experiment, Tray, Recipe)
        .join(Experiment, Experiment.id == Plant.experiment_id)
        .outerjoin(TrayPlant, TrayPlant.plant_id == Plant.id)
        .outerjoin(Tray, Tray.id == TrayPlant.tray_id)
        .outerjoin(Recipe, Recipe.id == Tray.recipe_id)
        .where(Plant.uuid == plant_key(plant_uuid))
        .options(joinedload(Plant.species, innerjoin=True))).first()
    if row is None:
        raise NotFound("No plant has that code.")
    return tuple(row)


def _placement(plant: Plant, tray: Tray | None, recipe: Recipe | None) -> tuple[Tray, Recipe]:
    """The plant's tray and its recipe, or Conflict naming what is missing."""
    if tray is None:
        raise Conflict(f"{plant.plant_code} is not in a tray, so it has no recipe to feed.",
                       {"missing": "tray"})
    if tray.recipe_id is None:
        raise Conflict(f"Tray {tray.code} has no recipe; assign one before feeding.",
                       {"missing": "recipe", "tray": tray.code})
    return tray, recipe


def log_feeding(session: Session, *, plant_uuid, actor: User, status: str = "fed",
                amount_ml=None, lot_id=None, notes: str | None = None,
                reason: str | None = None, when: datetime | None = None,
                ask_if_recent: bool = False, now: datetime | None = None) -> FeedingLog:
    """Feed (or skip) one plant. Raises NotFound, Invalid, Conflict (not running, removed,
    unplaced, no recipe, lot of another recipe; with ``ask_if_recent``, fed within the last
    30 minutes — diagnostics ``recent_feed``, ``last_fed_at``, ``by``, ``minutes_ago``)."""
    clean = _check_inputs(status=status, reason=reason, amount_ml=amount_ml, notes=notes)
    plant, experiment, tray, recipe = _plant_to_feed(session, plant_uuid)
    require_running(experiment, "Feeding is possible")
    if plant.status != "active":
        raise Conflict(f"{plant.plant_code} was removed; it is not fed any more.",
                       {"plant_status": plant.status})
    tray, recipe = _placement(plant, tray, recipe)
    lot = _lot(session, lot_id, recipe)
    if ask_if_recent and status == "fed":
        _ask_if_recent(session, plant_ids=[plant.id], now=now or utcnow())
    amount = clean["amount"]
    if amount is None and status == "fed":
        amount = recipe.volume_ml
    log = FeedingLog(plant_id=plant.id, recipe_id=recipe.id, tray_id=tray.id,
                     lot_id=lot.id if lot else None, amount_ml=amount, status=status,
                     reason=(reason or "").strip(), notes=(notes or "").strip(),
                     fed_at=when or utcnow(), user_id=actor.id)
    session.add(log)
    session.flush()
    what = (f"Fed {recipe.code}" + (f" (lot {lot.code})" if lot else "")
            + (f", {amount:g} ml" if amount else "")) if status == "fed" \
        else f"Skipped feed: {log.reason}"
    record_event(session, kind="plant.fed" if status == "fed" else "plant.feed_skipped",
                 actor=actor, experiment_id=experiment.id, plant_id=plant.id, tray_id=tray.id,
                 summary=what, payload={"feeding_log_id": log.id, "recipe": recipe.code,
                                        "lot": lot.code if lot else None})
    return log


def feed_tray(session: Session, *, tray_id: int, actor: User, amount_ml=None, lot_id=None,
              notes: str | None = None, ask_if_recent: bool = False,
              now: datetime | None = None) -> list[FeedingLog]:
    """Feed every active plant in a tray, as one action. Raises Conflict (not running, no
    recipe, empty tray; with ``ask_if_recent``, a plant of the tray fed within the last 30
    minutes), Invalid."""
    clean = _check_inputs(status="fed", reason=None, amount_ml=amount_ml, notes=notes)
    tray = get_tray(session, tray_id)
    experiment = get_experiment(session, tray.experiment_id)
    require_running(experiment, "Feeding is possible")
    if tray.recipe_id is None:
        raise Conflict(f"Tray {tray.code} has no recipe; assign one before feeding.",
                       {"missing": "recipe", "tray": tray.code})
    recipe = session.get(Recipe, tray.recipe_id)
    lot = _lot(session, lot_id, recipe)
    plants = list(session.scalars(select(Plant).join(TrayPlant, TrayPlant.plant_id == Plant.id)
                                  .where(TrayPlant.tray_id == tray.id, Plant.status == "active")
                                  .order_by(Plant.plant_code)))
    if not plants:
        raise Conflict(f"Tray {tray.code} has no active plants to feed.", {"tray": tray.code})
    now = now or utcnow()
    if ask_if_recent:
        _ask_if_recent(session, plant_ids=[p.id for p in plants], now=now,
                       subject=f"Tray {tray.code}")
    amount = clean["amount"] if clean["amount"] is not None else recipe.volume_ml
    logs = [FeedingLog(plant_id=p.id, recipe_id=recipe.id, tray_id=tray.id,
                       lot_id=lot.id if lot else None, amount_ml=amount, status="fed",
                       notes=(notes or "").strip(), fed_at=now, user_id=actor.id)
            for p in plants]
    session.add_all(logs)
    session.flush()
    for p, log in zip(plants, logs, strict=True):
        record_event(session, kind="plant.fed", actor=actor, experiment_id=experiment.id,
                     plant_id=p.id, tray_id=tray.id,
                     summary=f"Fed {recipe.code} with tray {tray.code}"
                             + (f" (lot {lot.code})" if lot else ""),
                     payload={"feeding_log_id": log.id, "recipe": recipe.code, "tray_feed": True})
    return logs


def undo_feeding(session: Session, *, log_ids: list[int], actor: User,
                 now: datetime | None = None) -> int:
    """Take back feeding logs within a minute of logging them (same person or an admin)."""
    now = now or utcnow()
    logs = list(session.scalars(select(FeedingLog).where(FeedingLog.id.in_(log_ids))))
    if not logs:
        raise NotFound("Nothing to undo.")
    for log in logs:
        if log.user_id != actor.id and not actor.has_role("admin"):
            raise Forbidden("Only the person who logged a feed can undo it.")
        if now - log.created_at > timedelta(seconds=UNDO_SECONDS):
            raise Conflict("Too late to undo: feeds can be taken back within a minute.",
                           {"seconds": UNDO_SECONDS})
    ids = [log.id for log in logs]
    plant_ids = [lg.plant_id for lg in logs]
    for event in session.scalars(select(Event).where(
            Event.kind.in_(["plant.fed", "plant.feed_skipped"]), Event.plant_id.in_(plant_ids))):
        if event.payload.get("feeding_log_id") in ids:
            session.delete(event)
    for log in logs:
        session.delete(log)
    session.flush()
    return len(logs)


def lots_by_recipe(session: Session, experiment_id: int,
                   per_recipe: int = 5) -> dict[str, list[Lot]]:
    """The experiment's lots by recipe code, newest first (the first is the default
    choice when feeding). One query."""
    out: dict[str, list[Lot]] = {}
    for lot, code in session.execute(
            select(Lot, Recipe.code).join(Recipe, Recipe.id == Lot.recipe_id)
            .where(Lot.experiment_id == experiment_id)
            .order_by(Recipe.code, Lot.prepared_at.desc(), Lot.id.desc())):
        bucket = out.setdefault(code, [])
        if len(bucket) < per_recipe:
            bucket.append(lot)
    return out


def last_feedings(session: Session, plant_id: int, limit: int = 10) -> list[FeedingLog]:
    """The plant's last feeding logs, voided ones left out."""
    return list(session.scalars(select(FeedingLog).where(FeedingLog.plant_id == plant_id, LIVE)
                                .order_by(FeedingLog.fed_at.desc(), FeedingLog.id.desc())
                                .limit(limit)))


