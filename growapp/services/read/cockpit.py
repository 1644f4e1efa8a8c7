"""The plant cockpit: what a QR scan opens. One read model, a fixed number of queries
(history length does not matter), and the next actions in priority order."""

from __future__ import annotations

import json
import uuid as uuid_mod
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache

from sqlalchemy import (
    Integer,
    Row,
    String,
    bindparam,
    case,
    cast,
    exists,
    func,
    literal,
    null,
    select,
    union_all,
)
from sqlalchemy.orm import Session, aliased, contains_eager, joinedload

from ...models import (
    AdverseEvent,
    Event,
    Experiment,
    FeedingLog,
    Lot,
    MetricTemplate,
    Plant,
    PlantMetric,
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
from .tent_now import TentNow, tent_now

RECENT = 20


@dataclass
class PlantView:
    plant: Plant
    experiment: Experiment
    location: Location
    links: dict
    recent: list  # Event rows (Core: the columns as attributes) with ``by_name``


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
class Neighbour:
    uuid: str
    code: str
    tray_code: str


@dataclass
class Neighbours:
    """Where the plant sits in the walk through the trays (tent, tray, plant code: the
    feeding queue's order) and the plants either side of it."""

    position: int
    in_tray: int
    tray_code: str
    previous: Neighbour | None = None
    next: Neighbour | None = None


@dataclass
class Cockpit(PlantView):
    last_fed_at: datetime | None = None
    last_feeding: LastFeeding | None = None
    skipped_today: bool = False
    metrics: list[Row] = field(default_factory=list)  # PlantMetric rows, latest week first
    measured_by: dict[int, str] = field(default_factory=dict)  # metric id → who
    neighbours: Neighbours | None = None
    recent_by: dict[int, str] = field(default_factory=dict)  # event id → who
    weeks: set[int] = field(default_factory=set)
    open_adverse: list[Row] = field(default_factory=list)  # AdverseEvent rows
    lots: list[Row] = field(default_factory=list)  # Lot rows
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


@cache
def _plant_statement():
    """Built once, the uuid bound per call: composing it cost more than running it."""
    other = aliased(Plant)
    live = (FeedingLog.plant_id == Plant.id, FeedingLog.voided_at.is_(None))
    latest = (FeedingLog.fed_at.desc(), FeedingLog.id.desc())
    return select(
        Plant,
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
        Tray, Slot, Tent, Recipe,
    ).join(Species, Species.id == Plant.species_id) \
        .outerjoin(TrayPlant, TrayPlant.plant_id == Plant.id) \
        .outerjoin(Tray, Tray.id == TrayPlant.tray_id) \
        .outerjoin(Slot, Slot.id == Tray.slot_id).outerjoin(Tent, Tent.id == Slot.tent_id) \
        .outerjoin(Recipe, Recipe.id == Tray.recipe_id) \
        .where(Plant.uuid == bindparam("key")).options(
            contains_eager(Plant.species), joinedload(Plant.experiment, innerjoin=True))


def _plant(session: Session, plant_uuid) -> tuple[Plant, dict]:
    """The plant with its species and experiment, where it sits (tray, slot, tent, recipe),
    its last feed, its replacement links and its category's metric template: one query
    (the facts ride along as scalar subqueries and outer joins)."""
    try:
        key = uuid_mod.UUID(str(plant_uuid))
    except ValueError as exc:
        raise NotFound("No plant has that code.") from exc
    row = session.execute(_plant_statement(), {"key": key}).one_or_none()
    if row is None:
        raise NotFound("No plant has that code.")
    (plant, last_fed, status, at, reason, by, replaced_by, replaces, template,
     tray, slot, tent, recipe) = row
    at = aware_utc(at)
    if isinstance(template, str):  # a JSON scalar subquery may come back as text
        template = json.loads(template)
    return plant, {
        "location": Location(tray, slot, tent, recipe) if tray is not None else Location(),
        "template": list(template or []),
        "last_fed_at": aware_utc(last_fed),
        "last_feeding": LastFeeding(status, at, by or "someone", reason or "")
        if status and at else None,
        "links": {"replaced_by": _uuid(replaced_by), "replaces": _uuid(replaces)}}


def _uuid(value):
    if value is None or isinstance(value, uuid_mod.UUID):
        return value
    return uuid_mod.UUID(str(value))


def _metrics(session: Session, plant_id: int) -> tuple[list[Row], dict[int, str]]:
    """Every live measurement of the plant (one per week, so bounded by the trial's
    length), latest week first, with who recorded it: one query."""
    rows = session.execute(_statements()["metrics"], {"plant_id": plant_id}).all()
    return rows, {m.id: m.by_name or "someone" for m in rows}


@cache
def _statements() -> dict:
    """The cockpit's per-plant lists, built once with the ids as bound parameters (building
    a statement costs more than SQLite takes to run it). Core rows of the tables' columns
    (attribute access as on the models): the page only reads them, and ORM instances cost
    more to build than the queries take to run. The plant query before them (ORM) has
    flushed the session."""
    plant_id = bindparam("plant_id")
    events, metrics, adverse, lots, users = (
        Event.__table__, PlantMetric.__table__, AdverseEvent.__table__, Lot.__table__,
        User.__table__)
    by_name = users.c.display_name.label("by_name")
    return {
        "events": select(events, by_name).outerjoin(users, users.c.id == events.c.user_id)
        .where(events.c.plant_id == plant_id)
        .order_by(events.c.at.desc(), events.c.id.desc()).limit(RECENT),
        "metrics": select(metrics, by_name)
        .outerjoin(users, users.c.id == metrics.c.recorded_by_id)
        .where(metrics.c.plant_id == plant_id, metrics.c.voided_at.is_(None))
        .order_by(metrics.c.week_number.desc(), metrics.c.id.desc()),
        "adverse": select(adverse).where(
            adverse.c.plant_id == plant_id, adverse.c.resolved_at.is_(None),
            adverse.c.voided_at.is_(None))
        .order_by(adverse.c.observed_at.desc()).limit(5),
        "lots": select(lots).where(lots.c.recipe_id == bindparam("recipe_id"))
        .order_by(lots.c.prepared_at.desc()).limit(5),
    }


@cache
def _neighbours_statement(by_key: bool):
    """Built once per engine kind; the experiment, tray and plant (its code) are bound per
    call. ``by_key`` (PostgreSQL): the tray's plants as correlated lookups by primary key;
    else (SQLite, whose planner walks the join from tray_plants by itself) a plain join,
    0.2 ms cheaper there.

    The trays holding active plants are numbered in walk order (a window over the
    experiment's trays: bounded by the tent layout, not by the plants). Then four one-row
    lookups over one tray's plants each — the plants just before and after this one in its
    tray, the last plant of the tray before and the first of the tray after — and one count
    over its tray (its position), glued with UNION ALL: no window over plants and no scan
    of every plant, so the cost does not grow with the trial."""
    active_in = exists().where(TrayPlant.tray_id == Tray.id, Plant.id == TrayPlant.plant_id,
                               Plant.status == "active")
    walk = (select(Tray.id.label("tray_id"), func.row_number().over(
        order_by=(Tent.code, func.length(Tray.code), Tray.code)).label("rn"))
        .select_from(Tray)
        .outerjoin(Slot, Slot.id == Tray.slot_id).outerjoin(Tent, Tent.id == Slot.tent_id)
        .where(Tray.experiment_id == bindparam("experiment_id"), active_in).cte("walk"))
    tray_id, code = bindparam("tray_id"), bindparam("plant_code")
    here = select(walk.c.rn).where(walk.c.tray_id == tray_id).scalar_subquery()

    def tray_at(offset: int):
        return select(walk.c.tray_id).where(walk.c.rn == here + offset).scalar_subquery()

    def members(tray):
        """The tray's plants, each looked up by primary key from tray_plants (correlated
        scalar subqueries: the planner cannot turn them into a scan of every plant, which
        PostgreSQL chose for a join); ``code`` is NULL for a plant no longer active."""
        plant = aliased(Plant)
        of = (plant.id == TrayPlant.plant_id,)
        if not by_key:
            return select(TrayPlant.tray_id.label("tray_id"), plant.uuid.label("uuid"),
                          plant.plant_code.label("code")).join(plant, *of) \
                .where(TrayPlant.tray_id == tray, plant.status == "active").subquery()
        return select(
            TrayPlant.tray_id.label("tray_id"),
            select(plant.uuid).where(*of).scalar_subquery().label("uuid"),
            select(plant.plant_code).where(*of, plant.status == "active")
            .scalar_subquery().label("code"),
        ).where(TrayPlant.tray_id == tray).subquery()

    def one(side: str, tray, compare=None, *, last: bool):
        m = members(tray)
        order = m.c.code.desc() if last else m.c.code
        return select(literal(side).label("side"), m.c.uuid.label("uuid"),
                      m.c.code.label("code"),
                      select(Tray.code).where(Tray.id == m.c.tray_id).scalar_subquery()
                      .label("tray_code"),
                      cast(null(), Integer).label("position"),
                      cast(null(), Integer).label("in_tray")) \
            .where(m.c.code.is_not(None), *(() if compare is None else (compare(m.c.code),))) \
            .order_by(order).limit(1).subquery()

    m = members(tray_id)
    count = select(literal("here").label("side"), cast(null(), Plant.uuid.type).label("uuid"),
                   cast(null(), String).label("code"), cast(null(), String).label("tray_code"),
                   func.count(case((m.c.code <= code, 1))).label("position"),
                   func.count(m.c.code).label("in_tray")).subquery()
    parts = [one("previous", tray_id, lambda c: c < code, last=True),
             one("next", tray_id, lambda c: c > code, last=False),
             one("previous_tray", tray_at(-1), last=True),
             one("next_tray", tray_at(1), last=False), count]
    return union_all(*(select(*p.c) for p in parts))


def _neighbours(session: Session, plant: Plant, loc: Location) -> Neighbours | None:
    """The plants before and after this one in the walk through the trays (tent, tray,
    plant code): one statement whatever the trial's size (see _neighbours_statement)."""
    if not loc.placed or plant.status != "active":
        return None
    by_key = session.get_bind().dialect.name == "postgresql"
    rows = {r.side: r for r in session.execute(_neighbours_statement(by_key), {
        "experiment_id": plant.experiment_id, "tray_id": loc.tray.id,
        "plant_code": plant.plant_code})}
    here = rows.get("here")
    if here is None or not here.in_tray:
        return None

    def neighbour(*sides: str) -> Neighbour | None:
        for side in sides:
            r = rows.get(side)
            if r is not None:
                return Neighbour(str(_uuid(r.uuid)), r.code, r.tray_code)
        return None

    return Neighbours(position=here.position, in_tray=here.in_tray, tray_code=loc.tray.code,
                      previous=neighbour("previous", "previous_tray"),
                      next=neighbour("next", "next_tray"))


def cockpit(session: Session, plant_uuid, *, now: datetime | None = None) -> Cockpit:
    plant, facts = _plant(session, plant_uuid)
    experiment = plant.experiment
    loc = facts["location"]
    stmts = _statements()
    recent = session.execute(stmts["events"], {"plant_id": plant.id}).all()
    metrics, measured_by = _metrics(session, plant.id)
    tz = zone_of(session)
    last = facts["last_feeding"]
    skipped_today = last is not None and last.status == "skipped" \
        and last.at >= day_start(tz, now)
    adverse = session.execute(stmts["adverse"], {"plant_id": plant.id}).all()
    lots = session.execute(stmts["lots"], {"recipe_id": loc.recipe.id}).all() \
        if loc.recipe else []
    c = Cockpit(plant=plant, experiment=experiment, location=loc, links=facts["links"],
                recent=recent, recent_by={e.id: e.by_name for e in recent if e.by_name},
                last_fed_at=facts["last_fed_at"], last_feeding=last,
                skipped_today=skipped_today, metrics=metrics, measured_by=measured_by,
                weeks={m.week_number for m in metrics}, open_adverse=adverse, lots=lots,
                neighbours=_neighbours(session, plant, loc),
                week=current_week(experiment, now, tz=tz), template=facts["template"],
                tent_now=tent_now(session, tent_id=loc.tent.id, now=now)
                if loc.tent is not None else None)
    c.actions = next_actions(c)
    return c
