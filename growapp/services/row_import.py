"""What every row-per-record CSV import shares (plants, weekly measurements): the file
rules, the header row, one check per data row, and the run — a dry run reports every row;
a real run writes every row or, when any row has a problem, nothing.

The file rules: UTF-8 with or without BOM, or Windows-1252; any line endings; a binary file
refused; at most ``MAX_BYTES`` (413 above it) and ``MAX_ROWS`` rows; blank lines skipped.
Each import keeps its own rules (its columns, what a row must hold, what it writes) in its
own module and hands them to these functions."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from .errors import DomainError, Invalid

MAX_ROWS = 2000
MAX_BYTES = 2 * 1024 * 1024


class FileTooLarge(DomainError):
    status = 413


@dataclass
class ImportRow:
    """One data row of the file: its line number and what is wrong with it."""

    line: int
    errors: list[str] = field(default_factory=list, kw_only=True)

    @property
    def ok(self) -> bool:
        return not self.errors

    def cells(self) -> dict:
        """The row's own values, for ``as_dict`` (each import says which)."""
        return {}

    def as_dict(self) -> dict:
        return {"line": self.line, **self.cells(), "ok": self.ok, "errors": self.errors}


R = TypeVar("R", bound=ImportRow)


@dataclass
class RowImport(Generic[R]):
    """Every row of a file as checked, and how many were written (0 for a dry run)."""

    rows: list[R]
    created: int = 0
    dry_run: bool = True

    @property
    def error_count(self) -> int:
        return sum(1 for r in self.rows if not r.ok)

    def summary(self) -> dict:
        """What an import adds to ``as_dict`` beside the counts (the file's columns…)."""
        return {}

    def as_dict(self) -> dict:
        return {"dry_run": self.dry_run, "created": self.created, "total_rows": len(self.rows),
                "error_rows": self.error_count, **self.summary(),
                "rows": [r.as_dict() for r in self.rows]}


class ImportRejected(Invalid):
    """A real import with row errors: nothing was written; ``result`` lists every row."""

    def __init__(self, result: RowImport) -> None:
        super().__init__(f"Nothing was imported: {result.error_count} of {len(result.rows)} "
                         "rows have problems.",
                         {f"line {r.line}": r.errors for r in result.rows if r.errors})
        self.result = result


def decode_csv(data: bytes, max_bytes: int = MAX_BYTES) -> str:
    """UTF-8 (with or without BOM) or Windows-1252 text; refuses big or binary files."""
    if len(data) > max_bytes:
        raise FileTooLarge(f"The file is larger than {max_bytes // (1024 * 1024)} MB. "
                           "Split it into smaller files.")
    if b"\x00" in data[:8192]:
        raise Invalid("That file is not a CSV text file.",
                      {"file": ["The file looks binary. Export it from your spreadsheet as CSV."]})
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise Invalid("That file is not a CSV text file.",
                  {"file": ["Save it as CSV (UTF-8)."]})


def read_header(data: bytes) -> tuple[list[str], Iterator[list[str]]]:
    """The header's names (trimmed, lower case) and a reader positioned on the first data
    row. Raises FileTooLarge, Invalid (binary, not text, empty, not CSV)."""
    reader = csv.reader(io.StringIO(decode_csv(data), newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise Invalid("The file is empty.", {"file": ["The file has no header row."]}) from None
    except csv.Error as exc:
        raise Invalid("The file is not valid CSV.", {"file": [str(exc)]}) from exc
    return [h.strip().lower() for h in header], reader


def header_problem(*, missing: list[str], unknown: list[str], expected: str) -> Invalid:
    """The error for a wrong header row: what is missing, what is unknown, what to write."""
    msgs = []
    if missing:
        msgs.append("Missing column(s): " + ", ".join(missing) + ".")
    if unknown:
        msgs.append("Unknown column(s): " + ", ".join(unknown) + ".")
    msgs.append(expected)
    return Invalid("The header row is not right.", {"file": msgs})


def check_rows(reader, names: list[str], check: Callable[[int, dict[str, str]], R], *,
               counted: str, empty: str, max_rows: int = MAX_ROWS) -> list[R]:
    """``check(line, cells)`` for every data row (cells by header name, trimmed), blank lines
    skipped; a row longer than the header gets that as its first error. Raises Invalid only
    for the file: more than ``max_rows`` rows ("Import at most 2,000 <counted> per file"),
    not CSV, or no data row (``empty``)."""
    rows: list[R] = []
    try:
        for values in reader:
            line = reader.line_num
            if not any(v.strip() for v in values):
                continue  # blank line
            if len(rows) >= max_rows:
                raise Invalid("Too many rows.", {"file": [
                    f"Import at most {max_rows:,} {counted} per file; this file has more."]})
            row = check(line, dict(zip(names, [v.strip() for v in values], strict=False)))
            if len(values) > len(names):
                row.errors.insert(0, f"Has {len(values)} cells but the header has "
                                     f"{len(names)}.")
            rows.append(row)
    except csv.Error as exc:
        raise Invalid("The file is not valid CSV.", {"file": [str(exc)]}) from exc
    if not rows:
        raise Invalid(empty, {"file": ["Only a header row was found."]})
    return rows


Result = TypeVar("Result", bound=RowImport)


def run_import(result: Result, *, dry_run: bool, write: Callable[[Result], None]) -> Result:
    """Dry run: ``result`` as checked, nothing written. Real run: ``write(result)`` (which
    adds and flushes every row; the caller commits once) and ``created`` counts the rows;
    raises ImportRejected, writing nothing, when any row has a problem."""
    result.dry_run = dry_run
    if dry_run:
        return result
    if result.error_count:
        raise ImportRejected(result)
    write(result)
    result.created = len(result.rows)
    return result
