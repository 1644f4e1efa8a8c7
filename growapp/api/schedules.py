"""Schedules: rules of recurring work, marking occurrences, and the plan."""

from __future__ import annotations

import datetime as dt
from datetime import date, datetime, time
from typing import Annotated, Literal

from flask import Response
from flask_login import current_user
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from ..models import ACTION_TYPES, TIMEFRAMES
from ..services import experiments as exp_service
from ..services import schedules as schedule_service
from ..services.clock import local_today, zone_of
from ..services.schedules.rules import (
    COMPLETION_STATUSES,
    MAX_ID,
    MAX_PLAN_DAYS,
    NOTES_MAX,
    REASON_MAX,
    RULE_KINDS,
    SCOPE_TYPES,
    TITLE_MAX,
)
from .framework import endpoint, envelope, require_fresh
from .schemas import IsoDate, Page, StrictIn

TAG = "Schedules"

ActionType = Literal[ACTION_TYPES]
Timeframe = Literal[TIMEFRAMES]
RuleKind = Literal[RULE_KINDS]
ScopeType = Literal[SCOPE_TYPES]
CompletionStatus = Literal[COMPLETION_STATUSES]
RowId = Annotated[int, Field(ge=1, le=MAX_ID)]


class RuleIn(StrictIn):
    """``{"kind": "weekly", "weekdays": [0..6]}`` (0 = Monday) or
    ``{"kind": "interval", "every_days": n}`` (1–365, counted from start_date)."""

    kind: RuleKind
    weekdays: list[int] = Field(default_factory=list, max_length=50)
    every_days: int | None = None


class ScopeIn(StrictIn):
    type: ScopeType
    ids: list[RowId] = Field(max_length=5000)


class ScheduleIn(StrictIn):
    action_type: ActionType
    title: str = Field(min_length=1, max_length=TITLE_MAX)
    notes: str = Field("", max_length=NOTES_MAX)
    timeframe: Timeframe | None = None
    exact_time: time | None = None
    rule: RuleIn
    start_date: date
    end_date: date | None = None
    scope: ScopeIn


class SchedulePatch(StrictIn):
    title: str | None = Field(None, min_length=1, max_length=TITLE_MAX)
    notes: str | None = Field(None, max_length=NOTES_MAX)
    timeframe: Timeframe | None = None
    exact_time: time | None = None
    is_active: bool | None = None
    end_date: date | None = None


class OccurrenceIn(StrictIn):
    date: dt.date
    status: CompletionStatus
    reason: str | None = Field(None, max_length=REASON_MAX)


class PlanQuery(StrictIn):
    model_config = ConfigDict(populate_by_name=True)

    from_: IsoDate | None = Field(None, alias="from",
                               description="First day (YYYY-MM-DD); default today in "
                                           "the installation's zone (GROWAPP_TIMEZONE).")
    days: int = Field(14, ge=1, le=MAX_PLAN_DAYS)


class RuleOut(BaseModel):
    kind: RuleKind
    weekdays: list[int]
    every_days: int | None


class ScopeOut(BaseModel):
    type: ScopeType
    ids: list[int]
    codes: list[str]


class ScheduleOut(BaseModel):
    id: int
    experiment_id: int
    action_type: ActionType
    title: str
    notes: str
    timeframe: Timeframe | None
    exact_time: str | None
    is_active: bool
    rule: RuleOut
    start_date: date
    end_date: date | None
    scope: ScopeOut
    description: str
    created_at: datetime
    updated_at: datetime


class CompletionOut(BaseModel):
    schedule_id: int
    date: dt.date
    status: CompletionStatus
    reason: str
    automatic: bool
    user_id: int | None
    completed_at: datetime


class PlanScopeOut(ScopeOut):
    plant_count: int
    tray_count: int


class PlanCompletionOut(BaseModel):
    status: CompletionStatus
    reason: str
    automatic: bool
    completed_at: str | None
    user_id: int | None
    user_name: str | None


class PlanActionOut(BaseModel):
    schedule_id: int
    action_type: ActionType
    title: str
    notes: str
    scope: PlanScopeOut
    status: Literal["due", "done", "skipped", "overdue"]
    automatic: bool
    blockers: list[str]
    completion: PlanCompletionOut | None


class PlanGroupOut(BaseModel):
    key: str
    timeframe: Timeframe | None
    time: str | None
    actions: list[PlanActionOut]


class PlanDayOut(BaseModel):
    date: str
    groups: list[PlanGroupOut]


class PlanOut(BaseModel):
    days: list[PlanDayOut]


def schedule_out(session: Session, schedule_id: int) -> dict:
    action = schedule_service.get_schedule(session, schedule_id)
    return _out(session, action)


def _out(session: Session, action) -> dict:
    summary = schedule_service.schedule_summaries(session, [action])[0]
    return ScheduleOut.model_validate(summary).model_dump(mode="json")


@endpoint("/experiments/<int:experiment_id>/schedules", "GET", summary="Schedules", tag=TAG,
          query=Page, response=ScheduleOut, many=True, errors=(404,))
def list_schedules(session: Session, experiment_id: int, query: Page):
    exp_service.get_experiment(session, experiment_id)
    actions = schedule_service.list_schedules(session, experiment_id)
    page = actions[query.offset:query.offset + query.limit]
    results = [ScheduleOut.model_validate(r).model_dump(mode="json")
               for r in schedule_service.schedule_summaries(session, page)]
    return envelope(results, count=len(actions), limit=query.limit, offset=query.offset)


@endpoint("/experiments/<int:experiment_id>/schedules", "POST", tag=TAG, body=ScheduleIn,
          summary="Plan recurring work (weekly days or every N days)", response=ScheduleOut,
          status=201, errors=(404,))
def create_schedule(session: Session, experiment_id: int, body: ScheduleIn):
    data = body.model_dump()
    action = schedule_service.create_schedule(
        session, experiment_id=experiment_id, actor=current_user, **data)
    return _out(session, action)


@endpoint("/schedules/<int:schedule_id>", "GET", summary="One schedule", tag=TAG,
          response=ScheduleOut, etag=True, errors=(404,))
def get_schedule(session: Session, schedule_id: int):
    return schedule_out(session, schedule_id)


@endpoint("/schedules/<int:schedule_id>", "PATCH", tag=TAG, body=SchedulePatch,
          summary="Edit, pause (is_active false) or resume a schedule", response=ScheduleOut,
          errors=(404, 412))
def patch_schedule(session: Session, schedule_id: int, body: SchedulePatch):
    require_fresh(schedule_out(session, schedule_id))
    action = schedule_service.update_schedule(
        session, schedule_id=schedule_id, actor=current_user,
        **body.model_dump(exclude_unset=True))
    return _out(session, action)


@endpoint("/schedules/<int:schedule_id>", "DELETE", tag=TAG, status=204, errors=(404, 412),
          summary="Delete a schedule and its completions")
def delete_schedule(session: Session, schedule_id: int):
    require_fresh(schedule_out(session, schedule_id))
    schedule_service.delete_schedule(session, schedule_id=schedule_id, actor=current_user)
    return Response(status=204)


@endpoint("/schedules/<int:schedule_id>/occurrences", "POST", tag=TAG, body=OccurrenceIn,
          summary="Mark a planned occurrence done or skipped (skipped needs a reason)",
          response=CompletionOut, errors=(404,))
def mark_occurrence(session: Session, schedule_id: int, body: OccurrenceIn):
    row = schedule_service.mark_occurrence(
        session, schedule_id=schedule_id, actor=current_user, date=body.date,
        status=body.status, reason=body.reason)
    return CompletionOut(schedule_id=row.action_id, date=row.occurrence_date,
                         status=row.status, reason=row.reason, automatic=row.automatic,
                         user_id=row.user_id, completed_at=row.completed_at)


@endpoint("/experiments/<int:experiment_id>/schedules/plan", "GET", tag=TAG, query=PlanQuery,
          summary="The plan: occurrences by day and timeframe, with status and blockers",
          response=PlanOut, errors=(404,))
def schedule_plan(session: Session, experiment_id: int, query: PlanQuery):
    today = local_today(zone_of(session))
    return schedule_service.plan(session, experiment_id=experiment_id,
                                 start=query.from_ or today, days=query.days, today=today)
