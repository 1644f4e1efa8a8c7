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


class SpeciesIn(StrictIn):
    common_name: str = Field(min_length=1, max_length=120)
    scientific_name: str = Field("", max_length=160)
    category: str = Field(min_length=1, max_length=32)
    default_cultivar: str = Field("", max_length=120)


# Plants ----------------------------------------------------------------------------------

Grade = Literal["A", "B", "C"]


class PlantsIn(StrictIn):
    species_id: int
    quantity: int = Field(1, ge=1, le=500)
    cultivar: str = Field("", max_length=120)
    plant_code: str | None = Field(None, max_length=40)
    grade: Grade | None = None
    notes: str = Field("", max_length=5000)


class PlantPatch(StrictIn):
    grade: Grade | None = None
    notes: str | None = Field(None, max_length=5000)
    cultivar: str | None = Field(None, max_length=120)
    plant_code: str | None = Field(None, max_length=40)


class PlantQuery(Page):
    status: Literal["active", "removed"] | None = None
    q: str | None = Field(None, max_length=100)
    needs: Literal["baseline", "grade", "placement", "tray_recipe", "tent_restriction"] | None \
        = None


class ImportQuery(StrictIn):
    dry_run: bool = True


class Ref(BaseModel):
    id: int
    code: str


class SpeciesRef(BaseModel):
    id: int
    common_name: str
    scientific_name: str
    category: str


class RecipeRef(Ref):
    name: str


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


# Tents, slots, trays ---------------------------------------------------------------------

class ShelfIn(BaseModel):
    index: int
    tray_count: int


class LayoutIn(BaseModel):
    schema_version: int = 1
    shelves: list[ShelfIn]


class TentIn(StrictIn):
    name: str = Field(min_length=1, max_length=120)
    code: str | None = Field(None, max_length=12)
    allowed_species_ids: list[int] = []
    layout: dict


class TentPatch(StrictIn):
    name: str | None = Field(None, min_length=1, max_length=120)
    allowed_species_ids: list[int] | None = None


class GenerateIn(StrictIn):
    layout: dict | None = None


class SlotOut(BaseModel):
    id: int
    tent_id: int
    code: str
    shelf_index: int
    position: int
    tray: Ref | None


class TentOut(BaseModel):
    id: int
    uuid: str
    experiment_id: int
    code: str
    name: str
    layout: dict
    allowed_species_ids: list[int]
    slot_count: int


class TrayIn(StrictIn):
    code: str | None = Field(None, max_length=24)
    name: str = Field("", max_length=120)
    capacity: int = Field(ge=1, le=500)
    slot_id: int | None = None
    recipe_id: int | None = None


class TrayPatch(StrictIn):
    capacity: int | None = Field(None, ge=1, le=500)
    slot_id: int | None = None
    recipe_id: int | None = None
    name: str | None = Field(None, max_length=120)


class TrayOut(BaseModel):
    id: int
    uuid: str
    experiment_id: int
    code: str
    name: str
    capacity: int
    occupancy: int
    slot: Ref | None
    tent: Ref | None
    recipe: RecipeRef | None


# Recipes and lots ------------------------------------------------------------------------

class RecipeIn(StrictIn):
    name: str = Field(min_length=1, max_length=120)
    code: str | None = Field(None, max_length=16)
    product: str = Field("", max_length=120)
    concentration: float | None = Field(None, ge=0)
    unit: str = Field("", max_length=24)
    volume_ml: float | None = Field(None, ge=0)
    colour: str | None = None
    notes: str = Field("", max_length=5000)


class RecipePatch(StrictIn):
    name: str | None = Field(None, min_length=1, max_length=120)
    code: str | None = Field(None, max_length=16)
    product: str | None = Field(None, max_length=120)
    concentration: float | None = Field(None, ge=0)
    unit: str | None = Field(None, max_length=24)
    volume_ml: float | None = Field(None, ge=0)
    colour: str | None = None
    notes: str | None = Field(None, max_length=5000)


class RecipeOut(BaseModel):
    id: int
    experiment_id: int
    code: str
    name: str
    product: str
    concentration: float | None
    unit: str
    volume_ml: float | None
    colour: str
    notes: str


class LotIn(StrictIn):
    recipe_id: int
    volume_ml: float | None = None
    ec: float | None = None
    ph: float | None = None
    temperature_c: float | None = None
    notes: str = Field("", max_length=5000)


class LotOut(BaseModel):
    id: int
    experiment_id: int
    recipe_id: int
    code: str
    prepared_at: datetime
    volume_ml: float | None
    ec: float | None
    ph: float | None
    temperature_c: float | None
    notes: str


# Measurements and placement --------------------------------------------------------------

class MetricsIn(StrictIn):
    week_number: int = Field(ge=0, le=520)
    values: dict
    grade: Grade | None = None
    reason: str | None = Field(None, max_length=500)


class MetricOut(BaseModel):
    id: int
    plant_uuid: str
    week_number: int
    values: dict
    recorded_at: datetime
    recorded_by_id: int | None


class TrayPlantIn(StrictIn):
    plant_uuid: str = Field(min_length=1, max_length=64)


class TrayPlantOut(BaseModel):
    tray_id: int
    tray_code: str
    plant_uuid: str
    plant_code: str
    occupancy: int
    capacity: int


class AutoPlaceIn(StrictIn):
    mode: Literal["fill", "randomized"]
    seed: int | None = Field(None, ge=0, lt=2**31)
    dry_run: bool = False
    allow_partial: bool = False


class AutoPlaceOut(BaseModel):
    mode: str
    seed: int | None
    applied: bool
    placed: list[dict]
    placed_count: int
    reason_counts: dict[str, int]
    unplaceable_plants: list[dict]
    strata: list[dict]
