"""Reference data: species and metric templates."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import MetricTemplate, Species
from ..services.errors import NotFound
from .framework import endpoint, envelope
from .schemas import CategoryQuery, MetricTemplateOut, SpeciesOut

TAG = "Species"


@endpoint("/species", "GET", summary="Species (presets and custom)", tag=TAG,
          response=SpeciesOut, many=True, query=CategoryQuery)
def list_species(session: Session, query: CategoryQuery):
    stmt = select(Species).order_by(Species.category, Species.common_name)
    if query.category:
        stmt = stmt.where(Species.category == query.category)
    rows = session.scalars(stmt).all()
    results = [SpeciesOut.model_validate(s, from_attributes=True).model_dump() for s in rows]
    return envelope(results, count=len(results), limit=len(results), offset=0)


@endpoint("/metric-templates", "GET", summary="Metric template of a species category",
          tag=TAG, response=MetricTemplateOut, query=CategoryQuery, errors=(404,))
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
    return envelope(results, count=len(results), limit=len(results), offset=0)
