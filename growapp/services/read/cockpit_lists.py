"""Everything the cockpit lists about one plant after reading the plant itself — its recent
events, its measurements, its open adverse events, its recipe's lots, its photos, its place
in the walk through the trays and its tent's conditions — in ONE statement: a UNION ALL of
Core rows in one shared column layout, each part tagged with what it is. On PostgreSQL each
statement is a round trip (a fifth of a millisecond and a wake-up), and on both engines a
statement costs SQLAlchemy more to run than these indexed lookups take; so one, not seven.
"""

from __future__ import annotations

from collections import namedtuple
from functools import cache

from sqlalchemy import Float, Integer, Text, Uuid, bindparam, cast, null, select, union_all

from ...models import AdverseEvent, Event, Lot, Photo, PlantMetric, User
from ...models.base import JSONType, UTCDateTime
from .history import PHOTOS
from .inline import inline
from .tent_now import tent_now_statement
from .walk import walk_statement

RECENT = 20  # the newest events on the cockpit

# What each part's rows become: the columns the cockpit, its template and the API read.
EventRow = namedtuple("EventRow", "id experiment_id plant_id tray_id user_id kind summary "
                                  "by_name at payload")
MetricRow = namedtuple("MetricRow", "id plant_id week_number by_name values")
AdverseRow = namedtuple("AdverseRow", "id severity kind notes observed_at")
LotRow = namedtuple("LotRow", "id code prepared_at")
PhotoRow = namedtuple("PhotoRow", "id plant_id week_number width height caption created_at uuid")

# The shared layout: (name, type). A part fills the columns it needs, in this order, and
# NULL (cast to the column's type: PostgreSQL types a UNION by its branches) for the rest.
# The first part (events) gives every column its real type, which is what SQLAlchemy
# converts results by (UTC datetimes, JSON, UUIDs on SQLite).
COLUMNS = (("part", Text), ("id", Integer), ("n1", Integer), ("n2", Integer),
           ("n3", Integer), ("n4", Integer), ("f1", Float), ("f2", Float), ("t1", Text),
           ("t2", Text), ("t3", Text), ("at", UTCDateTime), ("j", JSONType), ("u", Uuid))
NAMES = tuple(name for name, _type in COLUMNS)


def _part(tag: str, source, *, where=(), order=(), limit: int | None = None, **cols):
    """One branch: ``cols`` maps layout names to the source's expressions. With ``order``
    the branch is a subquery (SQLite allows ORDER BY / LIMIT only there); the order is
    applied again in Python, as a UNION ALL promises none."""
    values = [inline(tag, Text).label("part")] + [
        (cols[name] if name in cols else cast(null(), type_)).label(name)
        for name, type_ in COLUMNS[1:]]
    stmt = select(*values).select_from(source).where(*where)
    if order:
        stmt = stmt.order_by(*order).limit(inline(limit)).subquery().select()
    return stmt


@cache
def lists_statement(by_key: bool):
    """Built once per engine kind (``by_key``: see walk_statement). Bound per call:
    ``plant_id``, ``recipe_id``, ``tent_id`` and the walk's ``experiment_id``, ``tray_id``
    and ``plant_code``; a NULL id leaves its part empty."""
    plant_id = bindparam("plant_id", type_=Integer)
    ev, pm, ae, lot, ph, users = (Event.__table__, PlantMetric.__table__,
                                  AdverseEvent.__table__, Lot.__table__, Photo.__table__,
                                  User.__table__)
    tent = tent_now_statement().subquery("tent_now")
    walk = walk_statement(by_key).subquery("walk_rows")
    return union_all(
        _part("event", ev.outerjoin(users, users.c.id == ev.c.user_id),
              where=(ev.c.plant_id == plant_id,), order=(ev.c.at.desc(), ev.c.id.desc()),
              limit=RECENT, id=ev.c.id, n1=ev.c.experiment_id, n2=ev.c.plant_id,
              n3=ev.c.tray_id, n4=ev.c.user_id, t1=ev.c.kind, t2=ev.c.summary,
              t3=users.c.display_name, at=ev.c.at, j=ev.c.payload),
        _part("metric", pm.outerjoin(users, users.c.id == pm.c.recorded_by_id),
              where=(pm.c.plant_id == plant_id, pm.c.voided_at.is_(None)),
              id=pm.c.id, n1=pm.c.plant_id, n2=pm.c.week_number, t3=users.c.display_name,
              j=pm.c["values"]),
        _part("adverse", ae, where=(ae.c.plant_id == plant_id, ae.c.resolved_at.is_(None),
                                    ae.c.voided_at.is_(None)),
              order=(ae.c.observed_at.desc(), ae.c.id.desc()), limit=5,
              id=ae.c.id, n1=ae.c.severity, t1=ae.c.kind, t2=ae.c.notes, at=ae.c.observed_at),
        _part("lot", lot, where=(lot.c.recipe_id == bindparam("recipe_id", type_=Integer),),
              order=(lot.c.prepared_at.desc(), lot.c.id.desc()), limit=5,
              id=lot.c.id, t1=lot.c.code, at=lot.c.prepared_at),
        _part("photo", ph, where=(ph.c.plant_id == plant_id,),
              order=(ph.c.created_at.desc(), ph.c.id.desc()), limit=PHOTOS,
              id=ph.c.id, n1=ph.c.plant_id, n2=ph.c.week_number, n3=ph.c.width,
              n4=ph.c.height, t1=ph.c.caption, at=ph.c.created_at, u=ph.c.uuid),
        _part("walk", walk, n1=walk.c.position, n2=walk.c.in_tray, t1=walk.c.side,
              t2=walk.c.code, t3=walk.c.tray_code, u=walk.c.uuid),
        _part("tent", tent, f1=tent.c.a, f2=tent.c.b, t1=tent.c.kind, t2=tent.c.quantity,
              t3=tent.c.text, at=tent.c.at),
    )


def _desc(rows: list, *keys: str) -> list:
    return sorted(rows, key=lambda r: tuple(getattr(r, k) for k in keys), reverse=True)


def split_lists(rows) -> dict[str, list]:
    """The statement's rows by part, as the records above (newest first, as each part's
    ORDER BY), the walk's and the tent's as the rows their own readers take."""
    out: dict[str, list] = {"event": [], "metric": [], "adverse": [], "lot": [], "photo": [],
                            "walk": [], "tent": []}
    for part, id_, n1, n2, n3, n4, f1, f2, t1, t2, t3, at, j, u in rows:
        if part == "event":
            out[part].append(EventRow(id_, n1, n2, n3, n4, t1, t2, t3, at, j))
        elif part == "metric":
            out[part].append(MetricRow(id_, n1, n2, t3, j))
        elif part == "adverse":
            out[part].append(AdverseRow(id_, n1, t1, t2, at))
        elif part == "lot":
            out[part].append(LotRow(id_, t1, at))
        elif part == "photo":
            out[part].append(PhotoRow(id_, n1, n2, n3, n4, t1 or "", at, u))
        elif part == "walk":
            out[part].append((t1, u, t2, t3, n1, n2))
        else:
            out[part].append((t1, t2, f1, f2, at, t3))
    out["event"] = _desc(out["event"], "at", "id")
    out["metric"] = _desc(out["metric"], "week_number", "id")
    out["adverse"] = _desc(out["adverse"], "observed_at", "id")
    out["lot"] = _desc(out["lot"], "prepared_at", "id")
    out["photo"] = _desc(out["photo"], "created_at", "id")
    return out
