"""Bounds on what a request carries, checked before any of it reaches a query.

SQLite stores signed 64-bit integers: a bigger Python int raises ``OverflowError`` in the
driver, so path integers and JSON numbers are bounded here. JSON is parsed with a depth
limit (the C decoder raises ``RecursionError`` near 1,000 levels), and a streamed
(chunked) body that reaches the size limit is refused rather than silently cut.
"""

from __future__ import annotations

import json
import math

from flask import request
from werkzeug.exceptions import NotFound, RequestEntityTooLarge
from werkzeug.routing import IntegerConverter

from ..services.errors import Invalid

INT_MAX = 2**63 - 1
PATH_INT_MAX = 2**31 - 1  # ids are INTEGER columns: 32-bit on PostgreSQL (openapi's maximum)
MAX_DEPTH = 32  # no request body of the API nests deeper than a handful of levels


class BoundedIntegerConverter(IntegerConverter):
    """``<int:…>`` that only matches values an id column can hold (else 404, the answer for
    an id that exists nowhere): above 2³¹−1 PostgreSQL raised a DataError (422 that the
    document did not list), above 2⁶³ SQLite's driver an OverflowError."""

    def __init__(self, map, fixed_digits=0, min=None, max=None, signed=False):  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)

    def to_python(self, value: str) -> int:
        number = super().to_python(value)
        if number > PATH_INT_MAX:
            # Not a ValidationError ("try the next rule"): werkzeug's matcher then answers
            # 405 for a method another rule of the same path has. This id is simply absent.
            raise NotFound()
        return number


def request_body() -> bytes:
    """The raw body (cached). A body without Content-Length (chunked) is read only up to
    the size limit; reaching it means the rest was cut off, so answer 413, not 422."""
    raw = request.get_data(cache=True)
    limit = request.max_content_length
    if limit is not None and request.content_length is None and len(raw) >= limit:
        raise RequestEntityTooLarge()
    return raw


def _bounded_int(text: str) -> int:
    value = int(text)
    if not -INT_MAX - 1 <= value <= INT_MAX:
        raise Invalid("A number in the request is too large.",
                      {"body": [f"Use whole numbers between {-INT_MAX - 1} and {INT_MAX}."]})
    return value


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise Invalid("A number in the request is too large.",
                      {"body": ["Use a number within the range of a double."]})
    return value


def _refuse_constant(name: str):
    raise Invalid("The request body is not valid JSON.", {"body": [f"{name} is not JSON."]})


def _depth(value) -> int:
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            if depth > MAX_DEPTH:
                break
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return deepest


def parse_json(raw: bytes):
    """Decode a JSON body: 422 (``Invalid``) when it is not JSON, nests deeper than
    MAX_DEPTH, or holds an integer a database column cannot store."""
    too_deep = Invalid("The request body nests too deeply.",
                       {"body": [f"Nest objects and lists at most {MAX_DEPTH} levels deep."]})
    try:
        data = json.loads(raw, parse_int=_bounded_int, parse_float=_finite_float,
                          parse_constant=_refuse_constant)
    except RecursionError as exc:
        raise too_deep from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise Invalid("The request body is not valid JSON.", {"body": [str(exc)]}) from exc
    if _depth(data) > MAX_DEPTH:
        raise too_deep
    return data
