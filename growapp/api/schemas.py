"""Building blocks shared by the API's schemas: the strict request base, paging, error
bodies and the small references (id + code) that several resources embed.

Each resource's own request (…In / …Patch / …Query) and response (…Out) schemas sit beside
its endpoints in ``api/<resource>.py``.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field

from ..services.plants import GRADES


class StrictIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


MAX_OFFSET = 2**63 - 1  # the databases' integer range

_ISO_START = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_text(value):
    """Query strings: only ISO 8601 text is a date or a time (pydantic would take "0" or
    "0.5" as seconds since 1970)."""
    if isinstance(value, str) and not _ISO_START.match(value.strip()):
        raise ValueError("Use ISO 8601, e.g. 2026-12-01 or 2026-12-01T09:30:00+01:00.")
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_text)]
IsoAwareDatetime = Annotated[AwareDatetime, BeforeValidator(_iso_text)]


class Page(StrictIn):
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


class WholePage(StrictIn):
    """limit/offset of a list that is returned whole unless the client pages it."""
    limit: int | None = Field(None, ge=1, le=500, description="Default: the whole list.")
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


class Problem(BaseModel):
    detail: str


class ValidationProblem(Problem):
    errors: dict[str, list[str]]


class ConflictProblem(Problem):
    diagnostics: dict


Grade = Literal[GRADES]


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
