"""The plant cockpit: what a QR scan opens. One read model, a fixed number of queries
(history length does not matter), and the next actions in priority order."""

from __future__ import annotations

import json
import uuid as uuid_mod
from collections import namedtuple
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache

from sqlalchemy import bindparam, func, inspect, select
from sqlalchemy.orm import Session, aliased

from ...models import (
    Experiment,
    FeedingLog,
    MetricTemplate,
    Plant,
    Recipe,
    Slot,
    Species,
    Tent,
    Tray,
    TrayPlant,
    User,
    utcnow,
)
from ..clock import aware_utc, day_start, zone_of
from ..errors import NotFound
from ..observations import current_week
from ..plants import Location
from .cockpit_lists import AdverseRow, LotRow, MetricRow, PhotoRow, lists_statement, split_lists
from .tent_now import TentNow, tent_now_from_rows
from .walk import Neighbours, as_uuid, neighbours_from_rows


@dataclass
class PlantView:
    plant: tuple  # PlantRow (_plant_records): the plants table's columns, species, experiment
    experiment: tuple  # ExperimentRow: the experiments table's columns
    location: Location  # of TrayRow, SlotRow, TentRow, RecipeRow
    links: dict
    recent: list  # EventRow records (cockpit_lists), newest first, with ``by_name``


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
class LastFeeding:
    """The plant's latest live feeding log, fed or skipped, with who logged it."""

    status: str
    at: datetime
    by: str
    reason: str = ""


@dataclass
class Cockpit(PlantView):
    last_fed_at: datetime | None = None
    last_feeding: LastFeeding | None = None
    skipped_today: bool = False
    metrics: list[MetricRow] = field(default_factory=list)  # live, latest week first
    measured_by: dict[int, str] = field(default_factory=dict)  # metric id → who
    neighbours: Neighbours | None = None
    recent_by: dict[int, str] = field(default_factory=dict)  # event id → who
    weeks: set[int] = field(default_factory=set)
    open_adverse: list[AdverseRow] = field(default_factory=list)  # newest first
    lots: list[LotRow] = field(default_factory=list)  # the recipe's newest lots
    photos: list[PhotoRow] = field(default_factory=list)  # newest first (history's limit)
    week: int = 0
    actions: list[NextAction] = field(default_factory=list)
    template: list[dict] = field(default_factory=list)  # the species category's fields
    tent_now: TentNow | None = None  # the plant's tent's conditions (placed in a tent)

    @property
    def days_since_fed(self) -> int | None:
        return None if self.last_fed_at is None else (utcnow() - self.last_fed_at).days

    def previous_values(self, week: int) -> tuple[int, dict] | None:
        """The latest live measurement before ``week``: (its week, its values)."""
        earlier = [m for m in self.metrics if m.week_number < week]
        return (earlier[0].week_number, earlier[0].values or {}) if earlier else None


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
        due = (c.days_since_fed is None or c.days_since_fed >= exp.feeding_window_days) \
            and not c.skipped_today  # the queue drops a plant skipped today; so does this
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


def _record(model, *extra: str):
    """A namedtuple type of the model's column attributes (and ``extra`` fields), with
    those columns: the cockpit's reads are Core rows (the page and the API only read them;
    building the seven ORM instances cost more than the query took to run)."""
    attrs = inspect(model).column_attrs
    return (namedtuple(f"{model.__name__}Row", [a.key for a in attrs] + list(extra)),
            [a.columns[0] for a in attrs])


@cache
def _plant_records() -> list[tuple]:
    """(record type, columns) for each table the plant statement reads, in its order."""
    return [_record(Plant, "species", "experiment"), _record(Species), _record(Experiment),
            _record(Tray), _record(Slot), _record(Tent), _record(Recipe)]


@cache
def _plant_statement():
    """Built once, the uuid bound per call: composing it cost more than running it."""
    other = aliased(Plant)
    live = (FeedingLog.plant_id == Plant.id, FeedingLog.voided_at.is_(None))
    latest = (FeedingLog.fed_at.desc(), FeedingLog.id.desc())
    (_p, plant), *others = _plant_records()
    return select(
        *plant,
        select(func.max(FeedingLog.fed_at)).where(*live, FeedingLog.status == "fed")
        .scalar_subquery(),
        select(FeedingLog.status).where(*live).order_by(*latest).limit(1).scalar_subquery(),
        select(FeedingLog.fed_at).where(*live).order_by(*latest).limit(1).scalar_subquery(),
        select(FeedingLog.reason).where(*live).order_by(*latest).limit(1).scalar_subquery(),
        select(User.display_name).join(FeedingLog, FeedingLog.user_id == User.id)
        .where(*live).order_by(*latest).limit(1).scalar_subquery(),
        select(other.uuid).where(other.id == Plant.replaced_by_id).scalar_subquery(),
        select(other.uuid).where(other.replaced_by_id == Plant.id).scalar_subquery(),
        select(MetricTemplate.fields).where(MetricTemplate.category == Species.category)
        .correlate(Species).scalar_subquery(),
        *(col for _record_type, cols in others for col in cols),
    ).select_from(Plant).join(Species, Species.id == Plant.species_id) \
        .join(Experiment, Experiment.id == Plant.experiment_id) \
        .outerjoin(TrayPlant, TrayPlant.plant_id == Plant.id) \
        .outerjoin(Tray, Tray.id == TrayPlant.tray_id) \
        .outerjoin(Slot, Slot.id == Tray.slot_id).outerjoin(Tent, Tent.id == Slot.tent_id) \
        .outerjoin(Recipe, Recipe.id == Tray.recipe_id) \
        .where(Plant.uuid == bindparam("key"))


FACTS = 8  # the scalar subqueries after the plant's columns


def _plant(session: Session, plant_uuid) -> tuple[tuple, dict]:
    """The plant (a PlantRow with its ``species`` and ``experiment``), where it sits (tray,
    slot, tent, recipe), its last feed, its replacement links and its category's metric
    template: one query (the facts ride along as scalar subqueries and outer joins)."""
    try:
        key = uuid_mod.UUID(str(plant_uuid))
    except ValueError as exc:
        raise NotFound("No plant has that code.") from exc
    if session.autoflush:  # a Core read: the ORM's autoflush is not done for it
        session.flush()
    row = session.execute(_plant_statement(), {"key": key}).one_or_none()
    if row is None:
        raise NotFound("No plant has that code.")
    records = _plant_records()
    plant_width = len(records[0][1])
    (last_fed, status, at, reason, by, replaced_by, replaces,
     template) = row[plant_width:plant_width + FACTS]
    made, start = [], plant_width + FACTS
    for record_type, cols in records[1:]:
        values = row[start:start + len(cols)]
        start += len(cols)
        made.append(record_type(*values) if values[record_type._fields.index("id")]
                    is not None else None)
    species, experiment, tray, slot, tent, recipe = made
    plant = records[0][0](*row[:plant_width], species, experiment)
    at = aware_utc(at)
    if isinstance(template, str):  # a JSON scalar subquery may come back as text
        template = json.loads(template)
    return plant, {
        "location": Location(tray, slot, tent, recipe) if tray is not None else Location(),
        "template": list(template or []),
        "last_fed_at": aware_utc(last_fed),
        "last_feeding": LastFeeding(status, at, by or "someone", reason or "")
        if status and at else None,
        "links": {"replaced_by": as_uuid(replaced_by), "replaces": as_uuid(replaces)}}


def cockpit(session: Session, plant_uuid, *, now: datetime | None = None) -> Cockpit:
    """The plant's cockpit in two statements: the plant with what sits beside it
    (_plant_statement), then every list (cockpit_lists). Raises NotFound."""
    plant, facts = _plant(session, plant_uuid)
    experiment = plant.experiment
    loc = facts["location"]
    walks = loc.placed and plant.status == "active"
    by_key = session.get_bind().dialect.name == "postgresql"
    lists = split_lists(session.execute(lists_statement(by_key), {
        "plant_id": plant.id, "recipe_id": loc.recipe.id if loc.recipe else None,
        "tent_id": loc.tent.id if loc.tent is not None else None,
        "experiment_id": plant.experiment_id, "tray_id": loc.tray.id if walks else None,
        "plant_code": plant.plant_code}))
    recent, metrics = lists["event"], lists["metric"]
    tz = zone_of(session)
    last = facts["last_feeding"]
    skipped_today = last is not None and last.status == "skipped" \
        and last.at >= day_start(tz, now)
    c = Cockpit(plant=plant, experiment=experiment, location=loc, links=facts["links"],
                recent=recent, recent_by={e.id: e.by_name for e in recent if e.by_name},
                last_fed_at=facts["last_fed_at"], last_feeding=last,
                skipped_today=skipped_today, metrics=metrics,
                measured_by={m.id: m.by_name or "someone" for m in metrics},
                weeks={m.week_number for m in metrics}, open_adverse=lists["adverse"],
                lots=lists["lot"], photos=lists["photo"],
                neighbours=neighbours_from_rows(lists["walk"], loc.tray.code)
                if walks else None,
                week=current_week(experiment, now, tz=tz), template=facts["template"],
                tent_now=tent_now_from_rows(loc.tent.id, now, lists["tent"])
                if loc.tent is not None else None)
    c.actions = next_actions(c)
    return c
