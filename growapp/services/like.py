"""Substring search with LIKE, where a typed ``%`` or ``_`` means itself."""

from __future__ import annotations

from sqlalchemy import func
from sqlalchemy.sql import ColumnElement

ESCAPE = "\\"


def contains_pattern(q: str) -> str:
    """``q`` (lowered) as a ``%…%`` pattern with LIKE's wildcards escaped."""
    text = q.lower().replace(ESCAPE, ESCAPE * 2).replace("%", ESCAPE + "%")
    return "%" + text.replace("_", ESCAPE + "_") + "%"


def contains(column, q: str) -> ColumnElement[bool]:
    """Case-insensitive: ``column`` contains the literal text ``q``."""
    return func.lower(column).like(contains_pattern(q), escape=ESCAPE)
