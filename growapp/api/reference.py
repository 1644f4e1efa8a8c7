"""Reference data: species and metric templates."""

from __future__ import annotations

from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import MetricTemplate, Species
from ..services import species as species_service
from ..services.errors import Forbidden, NotFound
from .framework import endpoint, whole_list
from .schemas import CategoryQuery, MetricTemplateOut, SpeciesIn, SpeciesOut

TAG = "Species"


@endpoint("/species", "GET", summary="Species (presets and custom)", tag=TAG,
          response=SpeciesOut, many=True, query=CategoryQuery)
def list_species(session: Session, query: CategoryQuery):
    stmt = select(Species).order_by(Species.category, Species.common_name)
    if query.category:
        stmt = stmt.where(Species.category == query.category)
    rows = session.scalars(stmt).all()
    results = [SpeciesOut.model_validate(s, from_attributes=True).model_dump() for s in rows]
    return whole_list(results)


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
    return whole_list(results)


@endpoint("/species", "POST", summary="Add a species (admin)", tag=TAG, body=SpeciesIn,
          response=SpeciesOut, status=201, role="admin", errors=(409,))
def create_species(session: Session, body: SpeciesIn):
    if not current_user.has_role("admin"):
        raise Forbidden("Only an admin can add species through the API.")
    species = species_service.create_species(session, actor=current_user, **body.model_dump())
    return SpeciesOut.model_validate(species, from_attributes=True).model_dump()
