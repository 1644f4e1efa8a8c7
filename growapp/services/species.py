"""Species and metric templates: the reference data plants are described with."""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import MetricTemplate, Plant, Species, User
from .errors import Conflict, Forbidden, Invalid, NotFound

FIELD_TYPES = ("int", "float", "choice", "bool", "text")
# An int field with whole-number bounds and at most this many values (vigour 1–5, severity
# 1–3) is a score: entered by tapping one of its values, never typed.
SCORE_OPTIONS_MAX = 7
SCORE_RANGE = (1, 5)  # the template editor's "score 1–5" type: int, min 1, max 5
SCORE_UNIT = "1–5"


def is_score(field: dict) -> bool:
    lo, hi = field.get("min"), field.get("max")
    return (field.get("type") == "int" and isinstance(lo, int | float)
            and isinstance(hi, int | float) and not isinstance(lo, bool)
            and not isinstance(hi, bool) and lo == int(lo) and hi == int(hi)
            and 0 <= hi - lo < SCORE_OPTIONS_MAX)
KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
CATEGORY_RE = re.compile(r"^[a-z][a-z0-9_]{1,31}$")


def list_species(session: Session, category: str | None = None) -> list[Species]:
    stmt = select(Species).order_by(Species.category, Species.common_name)
    if category:
        stmt = stmt.where(Species.category == category)
    return list(session.scalars(stmt))


def get_species(session: Session, species_id: int) -> Species:
    species = session.get(Species, species_id)
    if species is None:
        raise NotFound(f"Species {species_id} does not exist.")
    return species


def categories(session: Session) -> list[str]:
    return list(session.scalars(select(MetricTemplate.category).order_by(MetricTemplate.category)))


def template_for(session: Session, category: str) -> MetricTemplate:
    template = session.scalar(select(MetricTemplate).where(MetricTemplate.category == category))
    if template is None:
        raise NotFound(f"No metric template for category {category!r}.")
    return template


def create_species(session: Session, *, actor: User, common_name: str, category: str,
                   scientific_name: str = "", default_cultivar: str = "") -> Species:
    """Operators add custom species inline while adding plants; admins manage the list."""
    if not actor.has_role("operator"):
        raise Forbidden("Viewers cannot add species.")
    errors: dict[str, list[str]] = {}
    common_name = (common_name or "").strip()
    scientific_name = (scientific_name or "").strip()
    if not common_name:
        errors["common_name"] = ["Give the species a name."]
    elif len(common_name) > 120:
        errors["common_name"] = ["Use at most 120 characters."]
    if len(scientific_name) > 160:
        errors["scientific_name"] = ["Use at most 160 characters."]
    if category not in categories(session):
        errors["category"] = ["Choose one of the categories."]
    if errors:
        raise Invalid(errors=errors)
    duplicate = session.scalar(select(Species).where(
        func.lower(Species.common_name) == common_name.lower(),
        func.lower(Species.scientific_name) == scientific_name.lower()))
    if duplicate:
        raise Invalid(errors={"common_name": [f"{common_name} already exists."]})
    species = Species(common_name=common_name, scientific_name=scientific_name,
                      category=category, default_cultivar=(default_cultivar or "").strip())
    session.add(species)
    session.flush()
    return species


def update_species(session: Session, *, actor: User, species_id: int, **fields) -> Species:
    if not actor.has_role("admin"):
        raise Forbidden("Only an admin can edit species.")
    species = get_species(session, species_id)
    if "category" in fields and fields["category"] not in categories(session):
        raise Invalid(errors={"category": ["Choose one of the categories."]})
    for key in ("common_name", "scientific_name", "category", "default_cultivar"):
        if key in fields and fields[key] is not None:
            setattr(species, key, str(fields[key]).strip())
    if not species.common_name:
        raise Invalid(errors={"common_name": ["Give the species a name."]})
    session.flush()
    return species


def delete_species(session: Session, *, actor: User, species_id: int) -> None:
    if not actor.has_role("admin"):
        raise Forbidden("Only an admin can delete species.")
    species = get_species(session, species_id)
    used = session.scalar(select(func.count(Plant.id)).where(Plant.species_id == species.id))
    if used:
        raise Conflict(f"{species.common_name} is used by {used} plant(s) and cannot be deleted.",
                       {"plants": used})
    session.delete(species)
    session.flush()


def validate_fields(fields) -> list[dict]:
    """Check a template's field list. Raises Invalid with per-field messages."""
    if not isinstance(fields, list) or not fields:
        raise Invalid(errors={"fields": ["Give at least one field."]})
    errors: list[str] = []
    clean = []
    seen = set()
    for n, raw in enumerate(fields, start=1):
        if not isinstance(raw, dict):
            errors.append(f"Field {n}: expected an object.")
            continue
        key = str(raw.get("key") or "").strip()
        label = str(raw.get("label") or "").strip()
        ftype = raw.get("type")
        where = f"Field {n} ({key or '?'})"
        if not KEY_RE.match(key):
            errors.append(f"{where}: key must be lower_snake_case, up to 40 characters.")
        elif key in seen:
            errors.append(f"{where}: key is used twice.")
        seen.add(key)
        if not label:
            errors.append(f"{where}: give a label.")
        if ftype not in FIELD_TYPES:
            errors.append(f"{where}: type must be one of {', '.join(FIELD_TYPES)}.")
        lo, hi = raw.get("min"), raw.get("max")
        for bound in (lo, hi):
            if bound is not None and (isinstance(bound, bool)
                                      or not isinstance(bound, int | float)):
                errors.append(f"{where}: min and max must be numbers.")
        if isinstance(lo, int | float) and isinstance(hi, int | float) and lo > hi:
            errors.append(f"{where}: min is above max.")
        choices = raw.get("choices")
        if ftype == "choice" and (not isinstance(choices, list) or not choices or not all(
                isinstance(c, str) and c.strip() for c in choices)):
            errors.append(f"{where}: a choice field needs a list of choices.")
        clean.append({"key": key, "label": label, "type": ftype,
                      "unit": (str(raw.get("unit")).strip() or None) if raw.get("unit") else None,
                      "min": lo, "max": hi,
                      "choices": [c.strip() for c in choices] if ftype == "choice"
                      and isinstance(choices, list) else None,
                      "required": bool(raw.get("required", False))})
    if errors:
        raise Invalid("The template has problems.", {"fields": errors})
    return clean


def save_template(session: Session, *, actor: User, category: str, fields,
                  code_prefix: str | None = None) -> MetricTemplate:
    """Create or replace a category's template (admin)."""
    if not actor.has_role("admin"):
        raise Forbidden("Only an admin can edit metric templates.")
    category = (category or "").strip().lower()
    if not CATEGORY_RE.match(category):
        raise Invalid(errors={"category": ["Use lower-case letters, digits or _ (2–32)."]})
    clean = validate_fields(fields)
    template = session.scalar(select(MetricTemplate).where(MetricTemplate.category == category))
    prefix = (code_prefix or "").strip().upper()
    if prefix and not re.match(r"^[A-Z]{2,6}$", prefix):
        raise Invalid(errors={"code_prefix": ["Use 2–6 capital letters, e.g. VFT."]})
    if template is None:
        template = MetricTemplate(category=category, code_prefix=prefix or category[:3].upper(),
                                  fields=clean)
        session.add(template)
    else:
        template.fields = clean
        if prefix:
            template.code_prefix = prefix
    session.flush()
    return template
