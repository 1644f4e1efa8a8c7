"""The plant cockpit: what a QR scan opens. One read model, a fixed number of queries
(history length does not matter), and the next actions in priority order."""

from __future__ import annotations

import uuid as uuid_mod
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import String, cast, func, select
from sqlalchemy.orm import Session, aliased, joinedload

from ...models import (
    AdverseEvent,
    Event,
    Experiment,
    FeedingLog,
    Lot,
    Plant,
    PlantMetric,
    utcnow,
)
from ..clock import zone_of
from ..errors import NotFound
from ..observations import current_week
from ..plants import Location, locations

RECENT = 20


@dataclass
class PlantView:
    plant: Plant
    experiment: Experiment
    location: Location
    links: dict
    recent: list[Event]


@dataclass
class NextAction:
    """One thing to do next. ``key`` says what (the web and the API turn it into a link);
    the ids are what that link needs."""

    key: str  # one of NEXT_ACTION_KEYS
    label: str
    experiment_id: int
    plant_uuid: str
    detail: str = ""
    week: int | None = None  # measure: the week that is due
    tray_id: int | None = None  # tray_recipe: the tray without a recipe
    adverse_id: int | None = None  # adverse: the open report


NEXT_ACTION_KEYS = ("baseline", "grade", "place", "tray_recipe", "feed", "measure", "adverse")


@dataclass
class Cockpit(PlantView):
    last_fed_at: datetime | None = None
    weeks: set[int] = field(default_factory=set)
    open_adverse: list[AdverseEvent] = field(default_factory=list)
    lots: list[Lot] = field(default_factory=list)
    week: int = 0
    actions: list[NextAction] = field(default_factory=list)

    @property
    def days_since_fed(self) -> int | None:
        return None if self.last_fed_at is None else (utcnow() - self.last_fed_at).days


def _ago(days: int | None) -> str:
    if days is None:
        return "never fed"
    return {0: "last fed today", 1: "last fed yesterday"}.get(days, f"last fed {days} days ago")


def next_actions(c: Cockpit) -> list[NextAction]:
    p, exp, loc = c.plant, c.experiment, c.location
    if p.status != "active":
        return []
    ids = {"experiment_id": exp.id, "plant_uuid": str(p.uuid)}
    out: list[NextAction] = []
    if 0 not in c.weeks:
        out.append(NextAction("baseline", "Capture baseline", **ids))
    if p.grade is None:
        out.append(NextAction("grade", "Set a grade", **ids))
    if not loc.placed:
        out.append(NextAction("place", "Place in a tray", **ids))
    elif loc.recipe is None:
        out.append(NextAction("tray_recipe", f"Give tray {loc.tray.code} a recipe", **ids,
                              tray_id=loc.tray.id))
    if exp.status == "running":
        due = c.days_since_fed is None or c.days_since_fed >= exp.feeding_window_days
        if loc.placed and loc.recipe is not None and due:
            out.append(NextAction("feed", f"Feed — {_ago(c.days_since_fed)}", **ids,
                                  detail=f"{loc.recipe.code} · window {exp.feeding_window_days} d"))
        if c.week >= 1 and c.week not in c.weeks:
            out.append(NextAction("measure", f"Weekly measurement (week {c.week}) due", **ids,
                                  week=c.week))
    for event in c.open_adverse:
        out.append(NextAction("adverse", f"Resolve {event.kind} report", **ids,
                              adverse_id=event.id,
                              detail=f"severity {event.severity}, "
                                     f"{event.observed_at:%Y-%m-%d}"))
    return out


def _plant(session: Session, plant_uuid) -> Plant:
    """The plant with its species and experiment, in one query."""
    try:
        key = uuid_mod.UUID(str(plant_uuid))
    except ValueError as exc:
        raise NotFound("No plant has that code.") from exc
    plant = session.scalar(select(Plant).where(Plant.uuid == key).options(
        joinedload(Plant.species, innerjoin=True), joinedload(Plant.experiment, innerjoin=True)))
    if plant is None:
        raise NotFound("No plant has that code.")
    return plant


def _facts(session: Session, plant: Plant) -> tuple[datetime | None, set[int], dict]:
    """Last feed, measured weeks and replacement links: one query of scalar subqueries."""
    other = aliased(Plant)
    last_fed, weeks, replaced_by, replaces = session.execute(select(
        select(func.max(FeedingLog.fed_at)).where(
            FeedingLog.plant_id == plant.id, FeedingLog.status == "fed",
            FeedingLog.voided_at.is_(None)).scalar_subquery(),
        select(func.aggregate_strings(cast(PlantMetric.week_number, String), ",")).where(
            PlantMetric.plant_id == plant.id, PlantMetric.voided_at.is_(None))
        .scalar_subquery(),
        select(other.uuid).where(other.id == plant.replaced_by_id).scalar_subquery(),
        select(other.uuid).where(other.replaced_by_id == plant.id).scalar_subquery(),
    )).one()
    if last_fed is not None and last_fed.tzinfo is None:  # scalar subqueries lose the type
        last_fed = last_fed.replace(tzinfo=UTC)
    elif isinstance(last_fed, str):
        last_fed = datetime.fromisoformat(last_fed).replace(tzinfo=UTC)
    return (last_fed, {int(w) for w in (weeks or "").split(",") if w},
            {"replaced_by": replaced_by, "replaces": replaces})


def cockpit(session: Session, plant_uuid, *, now: datetime | None = None) -> Cockpit:
    plant = _plant(session, plant_uuid)
    experiment = plant.experiment
    loc = locations(session, [plant.id])[plant.id]
    recent = list(session.scalars(select(Event).where(Event.plant_id == plant.id)
                                  .order_by(Event.at.desc(), Event.id.desc()).limit(RECENT)))
    last_fed, weeks, links = _facts(session, plant)
    adverse = list(session.scalars(select(AdverseEvent).where(
        AdverseEvent.plant_id == plant.id, AdverseEvent.resolved_at.is_(None),
        AdverseEvent.voided_at.is_(None))
        .order_by(AdverseEvent.observed_at.desc()).limit(5)))
    lots = list(session.scalars(select(Lot).where(Lot.recipe_id == loc.recipe.id)
                                .order_by(Lot.prepared_at.desc()).limit(5))) if loc.recipe else []
    c = Cockpit(plant=plant, experiment=experiment, location=loc, links=links, recent=recent,
                last_fed_at=last_fed, weeks=weeks, open_adverse=adverse, lots=lots,
                week=current_week(experiment, now, tz=zone_of(session)))
    c.actions = next_actions(c)
    return c
