"""Reference data: species and metric templates."""

from __future__ import annotations

from typing import Literal

from flask_login import current_user
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import MetricTemplate, Species
from ..services import species as species_service
from ..services.errors import NotFound
from .framework import endpoint, whole_list
from .openapi import list_schema
from .schemas import StrictIn

TAG = "Species"


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


@endpoint("/species", "GET", summary="Species (presets and custom)", tag=TAG,
          response=SpeciesOut, many=True, query=CategoryQuery)
def list_species(session: Session, query: CategoryQuery):
    stmt = select(Species).order_by(Species.category, Species.common_name)
    if query.category:
        stmt = stmt.where(Species.category == query.category)
    rows = session.scalars(stmt).all()
    results = [SpeciesOut.model_validate(s, from_attributes=True).model_dump() for s in rows]
    return whole_list(results)


@endpoint("/metric-templates", "GET", tag=TAG, query=CategoryQuery, errors=(404,),
          response=MetricTemplateOut,
          summary="With ?category=: that category's metric template; without: every "
                  "template as a list envelope",
          schema={"oneOf": [{"$ref": "#/components/schemas/MetricTemplateOut"},
                            list_schema({"$ref": "#/components/schemas/MetricTemplateOut"})]})
def get_metric_templates(session: Session, query: CategoryQuery):
    stmt = select(MetricTemplate).order_by(MetricTemplate.category)
    if query.category:
        template = session.scalar(stmt.where(MetricTemplate.category == query.category))
        if template is None:
            raise NotFound(f"No metric template for category {query.category!r}.")
        return MetricTemplateOut.model_validate(template, from_attributes=True).model_dump()
    rows = session.scalars(stmt).all()
    results = [MetricTemplateOut.model_validate(t, from_attributes=True).model_dump()
               for t in rows]
    return whole_list(results)


@endpoint("/species", "POST", summary="Add a species (admin)", tag=TAG, body=SpeciesIn,
          response=SpeciesOut, status=201, role="admin", errors=(409,))
def create_species(session: Session, body: SpeciesIn):
    species = species_service.create_species(session, actor=current_user, **body.model_dump())
    return SpeciesOut.model_validate(species, from_attributes=True).model_dump()
