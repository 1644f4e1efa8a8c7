"""Building blocks shared by the API's schemas: the strict request base, paging, error
bodies and the small references (id + code) that several resources embed.

Each resource's own request (…In / …Patch / …Query) and response (…Out) schemas sit beside
its endpoints in ``api/<resource>.py``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ..services.plants import GRADES


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
