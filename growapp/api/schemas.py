"""Request (…In / …Patch) and response (…Out) schemas of the JSON API."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class StrictIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Page(StrictIn):
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0)


class Problem(BaseModel):
    detail: str


class ValidationProblem(Problem):
    errors: dict[str, list[str]]


class ConflictProblem(Problem):
    diagnostics: dict


# Experiments -----------------------------------------------------------------------------

class ExperimentIn(StrictIn):
    name: str = Field(min_length=1, max_length=120)
    short_name: str = Field("", max_length=24)
    description: str = Field("", max_length=5000)
    feeding_window_days: int | None = Field(None, ge=1, le=60)


class ExperimentPatch(StrictIn):
    name: str | None = Field(None, min_length=1, max_length=120)
    short_name: str | None = Field(None, max_length=24)
    description: str | None = Field(None, max_length=5000)
    feeding_window_days: int | None = Field(None, ge=1, le=60)


class ExperimentQuery(Page):
    status: Literal["draft", "running", "stopped"] | None = None


class ExperimentOut(BaseModel):
    id: int
    name: str
    short_name: str
    description: str
    status: Literal["draft", "running", "stopped"]
    feeding_window_days: int
    randomization_seed: int | None
    started_at: datetime | None
    stopped_at: datetime | None
    created_at: datetime
    updated_at: datetime


class SetupOut(BaseModel):
    plants: bool
    tents: bool
    slots: bool
    recipes: bool
    complete: bool


class ReadinessOut(BaseModel):
    needs_baseline: int
    needs_grade: int
    needs_placement: int
    needs_tray_recipe: int
    needs_tent_restriction: int


class StatusSummaryOut(BaseModel):
    status: Literal["draft", "running", "stopped"]
    setup: SetupOut
    readiness: ReadinessOut
    ready_to_start: bool
    counts: dict[str, int]


# Reference data --------------------------------------------------------------------------

class SpeciesOut(BaseModel):
    id: int
    common_name: str
    scientific_name: str
    category: str
    default_cultivar: str
    is_preset: bool


class MetricFieldOut(BaseModel):
    key: str
    label: str
    type: Literal["int", "float", "choice", "bool", "text"]
    unit: str | None = None
    min: float | None = None
    max: float | None = None
    choices: list[str] | None = None
    required: bool = False


class MetricTemplateOut(BaseModel):
    category: str
    code_prefix: str
    fields: list[MetricFieldOut]


class CategoryQuery(StrictIn):
    category: str | None = Field(None, max_length=32)
