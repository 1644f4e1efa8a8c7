"""The labels page's list of plants to tick, a page at a time, narrowed by a search. What
is *printed* never depends on what was loaded here: "All active plants" with a search is
resolved by the selection itself (selection._plant_rows), over every matching plant."""

from __future__ import annotations

import uuid as uuid_mod
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from ...models import Plant, Species
from ..like import contains

TICKS_PAGE = 100
SEARCH_MAX = 100


@dataclass(slots=True)
class TickRow:
    uuid: str
    plant_code: str
    common_name: str


@dataclass
class TickPage:
    rows: list[TickRow]
    total: int  # plants in the list (matching the search, the excluded left out)
    at: int
    next_at: int | None


def search_clause(q: str):
    """Plants whose code, cultivar or species (common name) contains ``q``; joins nothing
    (a correlated species lookup), so it composes with any statement on Plant."""
    name = select(Species.common_name).where(Species.id == Plant.species_id) \
        .correlate(Plant).scalar_subquery()
    return or_(contains(Plant.plant_code, q), contains(Plant.cultivar, q), contains(name, q))


def clean_search(q: str | None) -> str:
    return (q or "").strip()[:SEARCH_MAX]


def valid_uuids(values: Sequence[str], limit: int) -> list[uuid_mod.UUID]:
    out = []
    for value in values[:limit]:
        try:
            out.append(uuid_mod.UUID(str(value).strip()))
        except ValueError:
            continue
    return list(dict.fromkeys(out))


def _base(experiment_id: int, q: str):
    stmt = (select(Plant.uuid, Plant.plant_code, Species.common_name,
                   func.count().over().label("total"))
            .join(Species, Species.id == Plant.species_id)
            .where(Plant.experiment_id == experiment_id, Plant.status == "active"))
    return stmt.where(search_clause(q)) if q else stmt


def tick_page(session: Session, experiment_id: int, *, q: str = "", at: int = 0,
              exclude: Sequence[str] = (), limit: int | None = None) -> TickPage:
    """Active plants in code order from ``at``, matching ``q``, leaving out ``exclude``
    (the ticked plants shown above the list). One query."""
    q, at = clean_search(q), max(int(at or 0), 0)
    stmt = _base(experiment_id, q)
    skip = valid_uuids(exclude, 1000)
    if skip:
        stmt = stmt.where(Plant.uuid.not_in(skip))
    rows = session.execute(stmt.order_by(Plant.plant_code).offset(at)
                           .limit(limit or TICKS_PAGE)).all()
    total = rows[0].total if rows else 0
    end = at + len(rows)
    return TickPage([TickRow(str(u), code, name) for u, code, name, _t in rows],
                    total=total, at=at,
                    next_at=end if end < total else None)


def ticked_rows(session: Session, experiment_id: int, uuids: Sequence[str],
                limit: int) -> list[TickRow]:
    """The ticked plants of this experiment, in code order (at most ``limit``)."""
    wanted = valid_uuids(uuids, limit)
    if not wanted:
        return []
    return [TickRow(str(u), code, name) for u, code, name in session.execute(
        select(Plant.uuid, Plant.plant_code, Species.common_name)
        .join(Species, Species.id == Plant.species_id)
        .where(Plant.experiment_id == experiment_id, Plant.uuid.in_(wanted))
        .order_by(Plant.plant_code))]


def matching_count(session: Session, experiment_id: int, q: str = "") -> int:
    """Active plants matching the search (all of them without one). One query."""
    stmt = select(func.count(Plant.id)).where(Plant.experiment_id == experiment_id,
                                              Plant.status == "active")
    q = clean_search(q)
    return session.scalar(stmt.where(search_clause(q)) if q else stmt) or 0
