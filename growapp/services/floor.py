"""Read models for the tent floor: one plant (what a QR scan opens) and one tray."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from ..models import Event, Experiment, Plant, Tray, TrayPlant
from .errors import NotFound
from .plants import Location
from .trays import TrayRow, list_trays

RECENT = 20


@dataclass
class PlantView:
    plant: Plant
    experiment: Experiment
    location: Location
    links: dict
    recent: list[Event]


@dataclass
class TrayView:
    row: TrayRow
    experiment: Experiment
    plants: list[Plant]


def get_tray_by_uuid(session: Session, tray_uuid) -> Tray:
    tray = session.scalar(select(Tray).where(Tray.uuid == tray_uuid))
    if tray is None:
        raise NotFound("No tray has that code.")
    return tray


def tray_view(session: Session, tray_uuid) -> TrayView:
    tray = get_tray_by_uuid(session, tray_uuid)
    row = next(r for r in list_trays(session, tray.experiment_id) if r.tray.id == tray.id)
    plants = list(session.scalars(
        select(Plant).join(TrayPlant, TrayPlant.plant_id == Plant.id)
        .where(TrayPlant.tray_id == tray.id).options(selectinload(Plant.species))
        .order_by(Plant.plant_code)))
    return TrayView(row=row, experiment=session.get(Experiment, tray.experiment_id),
                    plants=plants)


def find_by_code(session: Session, q: str, limit: int = 20) -> list[tuple[Plant, Experiment]]:
    """Plants whose code contains ``q`` across experiments, running ones first."""
    q = (q or "").strip()[:40]
    if not q:
        return []
    return [(p, e) for p, e in session.execute(
        select(Plant, Experiment).join(Experiment, Experiment.id == Plant.experiment_id)
        .where(func.lower(Plant.plant_code).like(f"%{q.lower()}%"))
        .order_by((Experiment.status == "running").desc(), Plant.plant_code).limit(limit))]
