"""The tray page's read model: what a tray label opens."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ...models import Experiment, Plant, Tray, TrayPlant
from ..errors import NotFound
from ..trays import TrayRow, list_trays


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
