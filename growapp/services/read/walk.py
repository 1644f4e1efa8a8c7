"""Where a plant sits in the walk through its trial's trays (tent, tray, plant code: the
feeding queue's order) and the plants either side of it, in one statement whatever the
trial's size. The cockpit runs the statement inside its own."""

from __future__ import annotations

import uuid as uuid_mod
from dataclasses import dataclass
from functools import cache

from sqlalchemy import (
    Integer,
    String,
    bindparam,
    case,
    cast,
    exists,
    func,
    null,
    select,
    union_all,
)
from sqlalchemy.orm import aliased

from ...models import Plant, Slot, Tent, Tray, TrayPlant
from .inline import inline

ACTIVE = inline("active")  # in the SQL text, not a parameter (see inline.py)
# The walk through the trays, the feeding queue's order: tent, then tray code (shorter
# first: TR9 before TR10). A tray in no slot has no tent and comes last on both engines
# (by default SQLite sorts NULL first and PostgreSQL last).
TRAY_ORDER = (Tent.code.asc().nulls_last(), func.length(Tray.code), Tray.code)


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


@cache
def walk_statement(by_key: bool):
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
    # A tray holds only active plants (removing a plant takes it out of its tray, replacing
    # one hands its place on or empties it, a removed plant cannot be placed), so "holds an
    # active plant" is one index probe into tray_plants, not a join to every plant (the
    # walk with that join: 1.0 ms of the statement's 1.6 at 1,000 plants on PostgreSQL;
    # with the probe, 0.6).
    holds_a_plant = exists().where(TrayPlant.tray_id == Tray.id)
    walk = (select(Tray.id.label("tray_id"), func.row_number().over(
        order_by=TRAY_ORDER).label("rn"))
        .select_from(Tray)
        .outerjoin(Slot, Slot.id == Tray.slot_id).outerjoin(Tent, Tent.id == Slot.tent_id)
        .where(Tray.experiment_id == bindparam("experiment_id"), holds_a_plant).cte("walk"))
    tray_id, code = bindparam("tray_id"), bindparam("plant_code")
    here = select(walk.c.rn).where(walk.c.tray_id == tray_id).scalar_subquery()

    def tray_at(offset: int):
        return select(walk.c.tray_id).where(walk.c.rn == here + inline(offset)) \
            .scalar_subquery()

    def members(tray):
        """The tray's plants, each looked up by primary key from tray_plants (correlated
        scalar subqueries: the planner cannot turn them into a scan of every plant, which
        PostgreSQL chose for a join); ``code`` is NULL for a plant no longer active."""
        plant = aliased(Plant)
        of = (plant.id == TrayPlant.plant_id,)
        if not by_key:
            return select(TrayPlant.tray_id.label("tray_id"), plant.uuid.label("uuid"),
                          plant.plant_code.label("code")).join(plant, *of) \
                .where(TrayPlant.tray_id == tray, plant.status == ACTIVE).subquery()
        return select(
            TrayPlant.tray_id.label("tray_id"),
            select(plant.uuid).where(*of).scalar_subquery().label("uuid"),
            select(plant.plant_code).where(*of, plant.status == ACTIVE)
            .scalar_subquery().label("code"),
        ).where(TrayPlant.tray_id == tray).subquery()

    def one(side: str, tray, compare=None, *, last: bool):
        m = members(tray)
        order = m.c.code.desc() if last else m.c.code
        return select(inline(side).label("side"), m.c.uuid.label("uuid"),
                      m.c.code.label("code"),
                      select(Tray.code).where(Tray.id == m.c.tray_id).scalar_subquery()
                      .label("tray_code"),
                      cast(null(), Integer).label("position"),
                      cast(null(), Integer).label("in_tray")) \
            .where(m.c.code.is_not(None), *(() if compare is None else (compare(m.c.code),))) \
            .order_by(order).limit(inline(1)).subquery()

    m = members(tray_id)
    count = select(inline("here").label("side"), cast(null(), Plant.uuid.type).label("uuid"),
                   cast(null(), String).label("code"), cast(null(), String).label("tray_code"),
                   func.count(case((m.c.code <= code, inline(1)))).label("position"),
                   func.count(m.c.code).label("in_tray")).subquery()
    parts = [one("previous", tray_id, lambda c: c < code, last=True),
             one("next", tray_id, lambda c: c > code, last=False),
             one("previous_tray", tray_at(-1), last=True),
             one("next_tray", tray_at(1), last=False), count]
    return union_all(*(select(*p.c) for p in parts))


def as_uuid(value):
    """A UUID from what a driver returns for one (a UUID, or text where a UNION hid the
    column's type)."""
    if value is None or isinstance(value, uuid_mod.UUID):
        return value
    return uuid_mod.UUID(str(value))


def neighbours_from_rows(rows, tray_code: str) -> Neighbours | None:
    """The Neighbours of ``walk_statement``'s rows (side, uuid, code, tray_code, position,
    in_tray); None when the plant is not among its tray's active plants."""
    by_side = {r[0]: r for r in rows}
    here = by_side.get("here")
    if here is None or not here[5]:
        return None

    def neighbour(*sides: str) -> Neighbour | None:
        for side in sides:
            r = by_side.get(side)
            if r is not None:
                return Neighbour(str(as_uuid(r[1])), r[2], r[3])
        return None

    return Neighbours(position=here[4], in_tray=here[5], tray_code=tray_code,
                      previous=neighbour("previous", "previous_tray"),
                      next=neighbour("next", "next_tray"))
