"""Human codes: VFT-001, TN1, TR3, R0, L-07 — suggested by continuing the highest number."""

from __future__ import annotations

import re
from collections.abc import Iterable

from .errors import Invalid

CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def highest_number(codes: Iterable[str], prefix: str) -> int | None:
    pattern = re.compile(rf"^{re.escape(prefix)}(\d+)$", re.IGNORECASE)
    numbers = [int(m.group(1)) for c in codes if (m := pattern.match(c or ""))]
    return max(numbers) if numbers else None


def next_codes(codes: Iterable[str], prefix: str, count: int = 1, *, width: int = 0,
               start: int = 1) -> list[str]:
    """``count`` codes after the highest existing ``prefix<n>`` (or from ``start``)."""
    high = highest_number(codes, prefix)
    first = start if high is None else high + 1
    return [f"{prefix}{n:0{width}d}" for n in range(first, first + count)]


def clean_code(value: str | None, *, field: str = "code", max_len: int = 24) -> str:
    """Strip and check a user-typed code. Raises Invalid."""
    code = (value or "").strip()
    if not code:
        raise Invalid(errors={field: ["Enter a code."]})
    if len(code) > max_len:
        raise Invalid(errors={field: [f"Use at most {max_len} characters."]})
    if not CODE_RE.match(code):
        raise Invalid(errors={field: ["Use letters, digits, '-', '_' or '.', no spaces."]})
    return code
