"""Finding plants by a typed code (the /find page, and where a damaged label leads)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import Experiment, Plant
from ..like import contains


def find_by_code(session: Session, q: str, limit: int = 20) -> list[tuple[Plant, Experiment]]:
    """Plants whose code contains ``q`` across experiments, running ones first."""
    q = (q or "").strip()[:40]
    if not q:
        return []
    return [(p, e) for p, e in session.execute(
        select(Plant, Experiment).join(Experiment, Experiment.id == Plant.experiment_id)
        .where(contains(Plant.plant_code, q))
        .order_by((Experiment.status == "running").desc(), Plant.plant_code).limit(limit))]
