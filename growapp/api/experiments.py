"""Experiments, their status summary and lifecycle."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from flask import Response
from flask_login import current_user
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from ..models import STATUSES, Experiment
from ..services import archive
from ..services import experiments as exp_service
from ..services.duplicate import duplicate_experiment
from ..services.experiments import (
    DESCRIPTION_MAX,
    FEEDING_WINDOW_DAYS,
    NAME_MAX,
    SHORT_NAME_MAX,
)
from ..services.read.readiness import status_summary
from .framework import endpoint, envelope, require_fresh
from .schemas import Page, StrictIn

WINDOW_MIN, WINDOW_MAX = FEEDING_WINDOW_DAYS
ExperimentStatus = Literal[STATUSES]

TAG = "Experiments"


class ExperimentIn(StrictIn):
    name: str = Field(min_length=1, max_length=NAME_MAX)
    short_name: str = Field("", max_length=SHORT_NAME_MAX)
    description: str = Field("", max_length=DESCRIPTION_MAX)
    feeding_window_days: int | None = Field(None, ge=WINDOW_MIN, le=WINDOW_MAX)


class ExperimentPatch(StrictIn):
    name: str | None = Field(None, min_length=1, max_length=NAME_MAX)
    short_name: str | None = Field(None, max_length=SHORT_NAME_MAX)
    description: str | None = Field(None, max_length=DESCRIPTION_MAX)
    feeding_window_days: int | None = Field(None, ge=WINDOW_MIN, le=WINDOW_MAX)


class ExperimentQuery(Page):
    status: ExperimentStatus | None = None
    archived: bool = False  # true: the archived experiments instead of the current ones


class DuplicateIn(StrictIn):
    name: str | None = Field(None, min_length=1, max_length=NAME_MAX)
    include_plants: bool = False


class ExperimentOut(BaseModel):
    id: int
    name: str
    short_name: str
    description: str
    status: ExperimentStatus
    feeding_window_days: int
    randomization_seed: int | None
    started_at: datetime | None
    stopped_at: datetime | None
    archived_at: datetime | None = None
    created_at: datetime
    updated_at: datetime


class SetupOut(BaseModel):
    plants: bool
    tents: bool
    slots: bool
    recipes: bool
    trays: bool
    complete: bool


class ReadinessOut(BaseModel):
    needs_baseline: int
    needs_grade: int
    needs_placement: int
    needs_tray_recipe: int
    needs_tent_restriction: int


class StatusSummaryOut(BaseModel):
    status: ExperimentStatus
    setup: SetupOut
    readiness: ReadinessOut
    ready_to_start: bool
    counts: dict[str, int]


def experiment_out(experiment: Experiment) -> dict:
    return ExperimentOut.model_validate(experiment, from_attributes=True).model_dump(mode="json")


@endpoint("/experiments", "GET", summary="List experiments", tag=TAG, query=ExperimentQuery,
          response=ExperimentOut, many=True)
def list_experiments(session: Session, query: ExperimentQuery):
    total, rows = exp_service.list_experiments(session, status=query.status, limit=query.limit,
                                               offset=query.offset, archived=query.archived)
    return envelope([experiment_out(e) for e in rows], count=total, limit=query.limit,
                    offset=query.offset)


@endpoint("/experiments", "POST", summary="Create an experiment", tag=TAG, body=ExperimentIn,
          response=ExperimentOut, status=201, idempotent=True, errors=(422,))
def create_experiment(session: Session, body: ExperimentIn):
    experiment = exp_service.create_experiment(session, actor=current_user, **body.model_dump())
    return experiment_out(experiment)


@endpoint("/experiments/<int:experiment_id>", "GET", summary="One experiment", tag=TAG,
          response=ExperimentOut, etag=True, errors=(404,))
def get_experiment(session: Session, experiment_id: int):
    return experiment_out(exp_service.get_experiment(session, experiment_id))


@endpoint("/experiments/<int:experiment_id>", "PATCH", summary="Edit an experiment", tag=TAG,
          body=ExperimentPatch, response=ExperimentOut, errors=(404, 412, 422))
def patch_experiment(session: Session, experiment_id: int, body: ExperimentPatch):
    require_fresh(experiment_out(exp_service.get_experiment(session, experiment_id)))
    fields = body.model_dump(exclude_unset=True)
    experiment = exp_service.update_experiment(session, experiment_id=experiment_id,
                                               actor=current_user, **fields)
    return experiment_out(experiment)


@endpoint("/experiments/<int:experiment_id>/status/summary", "GET", tag=TAG,
          summary="Readiness: the canonical source for gating", response=StatusSummaryOut,
          errors=(404,))
def get_status_summary(session: Session, experiment_id: int):
    exp_service.get_experiment(session, experiment_id)
    return status_summary(session, experiment_id).as_dict()


@endpoint("/experiments/<int:experiment_id>/start", "POST", tag=TAG,
          summary="Start (or resume); 409 with the readiness object until ready",
          response=ExperimentOut, errors=(404, 409))
def start_experiment(session: Session, experiment_id: int):
    return experiment_out(exp_service.start_experiment(
        session, experiment_id=experiment_id, actor=current_user))


@endpoint("/experiments/<int:experiment_id>/stop", "POST", summary="Stop a running experiment",
          tag=TAG, response=ExperimentOut, errors=(404, 409))
def stop_experiment(session: Session, experiment_id: int):
    return experiment_out(exp_service.stop_experiment(
        session, experiment_id=experiment_id, actor=current_user))


@endpoint("/experiments/<int:experiment_id>/archive", "POST", tag=TAG,
          summary="Archive (leaves the list; not while running)", response=ExperimentOut,
          errors=(404, 409))
def archive_experiment(session: Session, experiment_id: int):
    return experiment_out(archive.archive_experiment(
        session, experiment_id=experiment_id, actor=current_user))


@endpoint("/experiments/<int:experiment_id>/unarchive", "POST", tag=TAG,
          summary="Bring an archived experiment back to the list", response=ExperimentOut,
          errors=(404,))
def unarchive_experiment(session: Session, experiment_id: int):
    return experiment_out(archive.unarchive_experiment(
        session, experiment_id=experiment_id, actor=current_user))


@endpoint("/experiments/<int:experiment_id>/duplicate", "POST", tag=TAG, body=DuplicateIn,
          summary="A new draft with the same tents, slots, recipes and trays (plants optional)",
          response=ExperimentOut, status=201, errors=(404, 422))
def duplicate(session: Session, experiment_id: int, body: DuplicateIn):
    return experiment_out(duplicate_experiment(
        session, experiment_id=experiment_id, actor=current_user, **body.model_dump()))


@endpoint("/experiments/<int:experiment_id>", "DELETE", tag=TAG, role="admin", status=204,
          summary="Delete an experiment with nothing recorded (admin); otherwise archive it",
          errors=(404, 409))
def delete_experiment(session: Session, experiment_id: int):
    archive.delete_experiment(session, experiment_id=experiment_id, actor=current_user)
    return Response(status=204)
