"""Label sheet templates: the built-ins (from code) and the ones admins add (mm)."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...labels.templates import (
    BUILTIN_BY_SLUG,
    BUILTIN_TEMPLATES,
    FIELDS,
    GEOMETRY,
    SheetTemplate,
    geometry_errors,
)
from ...models import LabelTemplate, User
from ..errors import Forbidden, Invalid

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,39}$")


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", (text or "").lower()).strip("-")[:40]


def ensure_label_templates(session: Session) -> int:
    """Insert the built-in sheet templates that are missing. Returns how many were added."""
    existing = set(session.scalars(select(LabelTemplate.slug)))
    added = 0
    for template in BUILTIN_TEMPLATES:
        if template.slug not in existing:
            session.add(LabelTemplate(**{name: getattr(template, name) for name in FIELDS}))
            added += 1
    session.flush()
    return added


def _from_row(row: LabelTemplate) -> SheetTemplate:
    # Built-ins come from code: the table rounds millimetres to 2 decimals (4.7625 → 4.76).
    if row.is_builtin and row.slug in BUILTIN_BY_SLUG:
        return BUILTIN_BY_SLUG[row.slug]
    return SheetTemplate.from_row(row)


def list_templates(session: Session) -> list[SheetTemplate]:
    """Built-ins first (even before ensure_label_templates ran), then admins' by name."""
    rows = {row.slug: _from_row(row) for row in session.scalars(select(LabelTemplate))}
    builtins = [rows.pop(t.slug, t) for t in BUILTIN_TEMPLATES]
    return builtins + sorted(rows.values(), key=lambda t: t.name.lower())


def get_template(session: Session, slug: str | None) -> SheetTemplate:
    """Raises Invalid (unknown slug, or cells that do not fit the page)."""
    slug = (slug or "").strip()
    row = session.scalar(select(LabelTemplate).where(LabelTemplate.slug == slug)) if slug \
        else None
    template = _from_row(row) if row is not None else BUILTIN_BY_SLUG.get(slug)
    if template is None:
        raise Invalid(errors={"template": [
            f"There is no sheet template {slug!r}." if slug else "Choose a sheet template."]})
    problems = geometry_errors(template)
    if problems:
        raise Invalid(errors={"template": [
            f"The template {template.name} cannot be printed: "
            + " ".join(m for messages in problems.values() for m in messages)]})
    return template


def create_template(session: Session, *, actor: User, name: str, slug: str | None = None,
                    **geometry) -> LabelTemplate:
    """An admin's sheet template (mm). Raises Forbidden, Invalid (fields, cells that do
    not fit the page, slug taken)."""
    if actor is None or not actor.has_role("admin"):
        raise Forbidden("Only an admin can add label templates.")
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = ["Give the template a name."]
    elif len(name) > 120:
        errors["name"] = ["Use at most 120 characters."]
    slug = (slug or "").strip().lower() or slugify(name)
    if not SLUG_RE.match(slug):
        errors["slug"] = ["Use 2–40 lowercase letters, digits or '-'."]
    elif slug in BUILTIN_BY_SLUG or session.scalar(
            select(LabelTemplate.id).where(LabelTemplate.slug == slug)):
        errors["slug"] = [f"A template called {slug} already exists."]
    values: dict[str, float | int] = {}
    for key in GEOMETRY:
        raw = geometry.get(key)
        integer = key in ("columns", "rows")
        try:
            if raw is None or raw == "":
                if key.startswith(("margin", "gap")):
                    raw = 0
                else:
                    raise ValueError
            value = int(raw) if integer else round(float(raw), 2)
            if value != value or value in (float("inf"), float("-inf")):
                raise ValueError
            values[key] = value
        except (TypeError, ValueError, OverflowError):
            errors[key] = ["Enter a whole number." if integer else "Enter a size in mm."]
    unknown = set(geometry) - set(GEOMETRY)
    if unknown:
        errors.update({k: ["Unknown field."] for k in sorted(unknown)})
    if not errors:
        errors.update(geometry_errors(SheetTemplate(slug=slug, name=name, **values)))
    if errors:
        raise Invalid("The template was not saved. Check the highlighted sizes.", errors)
    row = LabelTemplate(slug=slug, name=name, is_builtin=False, **values)
    session.add(row)
    session.flush()
    return row
