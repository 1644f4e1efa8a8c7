"""Plants: list with filters, batch create, CSV import, detail, edit."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from flask_login import current_user
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from ..models import Plant
from ..services import grading
from ..services import plants as plant_service
from ..services.plant_import import import_plants
from ..services.plants import MAX_BATCH, NEEDS, PLANT_CODE_MAX
from .csv_upload import csv_import_response
from .framework import endpoint, envelope, require_fresh, whole_list
from .schemas import Grade, Page, RecipeRef, SpeciesRef, StrictIn

TAG = "Plants"


class PlantsIn(StrictIn):
    species_id: int
    quantity: int = Field(1, ge=1, le=MAX_BATCH)
    cultivar: str = Field("", max_length=120)
    plant_code: str | None = Field(None, max_length=PLANT_CODE_MAX)
    grade: Grade | None = None
    notes: str = Field("", max_length=5000)


class PlantPatch(StrictIn):
    grade: Grade | None = None
    notes: str | None = Field(None, max_length=5000)
    cultivar: str | None = Field(None, max_length=120)
    plant_code: str | None = Field(None, max_length=PLANT_CODE_MAX)


class PlantQuery(Page):
    status: Literal["active", "removed"] | None = None
    q: str | None = Field(None, max_length=100)
    needs: Literal[NEEDS] | None = None


class ImportQuery(StrictIn):
    dry_run: bool = Field(False, description="1: check every row and write nothing (200). "
                                             "Default: write, all or nothing (201).")


class LocationOut(BaseModel):
    status: Literal["placed", "unplaced"]
    tent: dict | None
    slot: dict | None
    tray: dict | None


class PlantOut(BaseModel):
    id: int
    uuid: str
    experiment_id: int
    plant_code: str
    species: SpeciesRef
    cultivar: str
    grade: Grade | None
    status: Literal["active", "removed"]
    notes: str
    location: LocationOut
    recipe: RecipeRef | None
    replaced_by: str | None
    replaces: str | None
    removed_at: datetime | None
    removed_reason: str
    created_at: datetime
    updated_at: datetime


class ImportRowOut(BaseModel):
    line: int
    plant_code: str
    species: str
    cultivar: str
    grade: str | None
    ok: bool
    errors: list[str]


class ImportOut(BaseModel):
    dry_run: bool
    created: int
    total_rows: int
    error_rows: int
    rows: list[ImportRowOut]


def _location(loc: plant_service.Location) -> dict:
    return {
        "status": "placed" if loc.placed else "unplaced",
        "tent": {"id": loc.tent.id, "code": loc.tent.code, "name": loc.tent.name}
        if loc.tent else None,
        "slot": {"id": loc.slot.id, "code": loc.slot.code, "shelf_index": loc.slot.shelf_index,
                 "position": loc.slot.position} if loc.slot else None,
        "tray": {"id": loc.tray.id, "uuid": str(loc.tray.uuid), "code": loc.tray.code}
        if loc.tray else None,
    }


def plants_out(session: Session, plants: list[Plant]) -> list[dict]:
    """Serialise plants with location, recipe and replacement links in two queries."""
    locs = plant_service.locations(session, [p.id for p in plants])
    links = plant_service.replacement_links(session, plants)
    return [plant_dict(p, locs[p.id], links.get(p.id, {})) for p in plants]


def plant_dict(p: Plant, loc: plant_service.Location, link: dict) -> dict:
    """One plant's PlantOut from what the caller read: its species (loaded), where it is
    and its replacement links ({"replaced_by", "replaces"}: uuids or None)."""
    return {
        "id": p.id, "uuid": str(p.uuid), "experiment_id": p.experiment_id,
        "plant_code": p.plant_code,
        "species": {"id": p.species.id, "common_name": p.species.common_name,
                    "scientific_name": p.species.scientific_name,
                    "category": p.species.category},
        "cultivar": p.cultivar, "grade": p.grade, "status": p.status, "notes": p.notes,
        "location": _location(loc),
        "recipe": {"id": loc.recipe.id, "code": loc.recipe.code, "name": loc.recipe.name}
        if loc.recipe else None,
        "replaced_by": str(link["replaced_by"]) if link.get("replaced_by") else None,
        "replaces": str(link["replaces"]) if link.get("replaces") else None,
        "removed_at": p.removed_at.isoformat() if p.removed_at else None,
        "removed_reason": p.removed_reason,
        "created_at": p.created_at.isoformat(), "updated_at": p.updated_at.isoformat(),
    }


def plant_out(session: Session, plant: Plant) -> dict:
    return plants_out(session, [plant])[0]


@endpoint("/experiments/<int:experiment_id>/plants", "GET", summary="List plants", tag=TAG,
          query=PlantQuery, response=PlantOut, many=True, errors=(404,))
def list_plants(session: Session, experiment_id: int, query: PlantQuery):
    total, rows = plant_service.list_plants(
        session, experiment_id=experiment_id, status=query.status, q=query.q,
        needs=query.needs, limit=query.limit, offset=query.offset)
    return envelope(plants_out(session, rows), count=total, limit=query.limit,
                    offset=query.offset)


@endpoint("/experiments/<int:experiment_id>/plants", "POST", tag=TAG, body=PlantsIn,
          summary="Add plants (quantity × species, codes suggested)", response=PlantOut,
          many=True, status=201, idempotent=True, errors=(404, 409))
def create_plants(session: Session, experiment_id: int, body: PlantsIn):
    plants = plant_service.add_plants(session, experiment_id=experiment_id, actor=current_user,
                                      **body.model_dump())
    return whole_list(plants_out(session, plants))


class GradeItem(StrictIn):
    plant_uuid: UUID
    grade: Grade


class GradesIn(StrictIn):
    grades: list[GradeItem] = Field(min_length=1, max_length=grading.MAX_GRADES)


@endpoint("/experiments/<int:experiment_id>/plants/grades", "POST", tag=TAG, body=GradesIn,
          summary="Grade many plants at once (all or nothing; allowed while running)",
          response=PlantOut, many=True, errors=(404, 409, 422))
def grade_plants(session: Session, experiment_id: int, body: GradesIn):
    plants = grading.grade_plants(session, experiment_id=experiment_id, actor=current_user,
                                  grades={g.plant_uuid: g.grade for g in body.grades})
    return whole_list(plants_out(session, plants))


@endpoint("/experiments/<int:experiment_id>/plants/import", "POST", tag=TAG,
          summary="CSV import (multipart `file`): writes all rows or none (201); "
                  "dry_run=1 previews the per-row result and writes nothing (200)",
          query=ImportQuery, response=ImportOut, status=201, also=(200,),
          errors=(404, 409, 413),
          multipart={"type": "object", "required": ["file"], "properties": {
              "file": {"type": "string", "format": "binary",
                       "description": "CSV: plant_code,species,cultivar,grade,notes"}}})
def import_plants_csv(session: Session, experiment_id: int, query: ImportQuery):
    return csv_import_response(session, lambda data: import_plants(
        session, experiment_id=experiment_id, data=data, actor=current_user,
        dry_run=query.dry_run), dry_run=query.dry_run)


@endpoint("/plants/<uuid:plant_uuid>", "GET", summary="One plant", tag=TAG, response=PlantOut,
          etag=True, errors=(404,))
def get_plant(session: Session, plant_uuid):
    return plant_out(session, plant_service.get_plant(session, plant_uuid))


@endpoint("/plants/<uuid:plant_uuid>", "PATCH", summary="Edit grade, notes, cultivar, code",
          tag=TAG, body=PlantPatch, response=PlantOut, errors=(404, 409, 412))
def patch_plant(session: Session, plant_uuid, body: PlantPatch):
    require_fresh(plant_out(session, plant_service.get_plant(session, plant_uuid)))
    plant = plant_service.update_plant(session, plant_uuid=plant_uuid, actor=current_user,
                                       **body.model_dump(exclude_unset=True))
    return plant_out(session, plant)
