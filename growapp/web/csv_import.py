"""The page write of a row-per-record CSV import (plants, weekly measurements): the file
comes as the upload ``file`` or, from the preview's confirm button, as ``csv_text``; without
``confirm=1`` it is a dry run that shows every row, with it the same text is imported all or
nothing. Each page says how to run its import, how to show the preview and what follows a
real import."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import Response, request
from flask.typing import ResponseReturnValue

from ..services.errors import DomainError, Invalid
from ..services.row_import import ImportRejected, RowImport
from .writes import page_write

Result = TypeVar("Result", bound=RowImport)


def uploaded_csv() -> bytes:
    """The uploaded file's bytes, else the text the preview sent back (UTF-8)."""
    upload = request.files.get("file")
    return upload.read() if upload and upload.filename else \
        (request.form.get("csv_text") or "").encode("utf-8")


def csv_import_write(run: Callable[[bytes, bool], Result], *,
                     show: Callable[..., ResponseReturnValue],
                     imported: Callable[[Result], ResponseReturnValue]) -> Response:
    """``run(data, dry_run)`` in one transaction (rolled back for a dry run).

    ``show(import_result=, import_problem=, csv_text=)`` renders the import region: the
    checked rows (a dry run, or a real run refused with every row), or only the problem
    for a file-level error (422, 413…). ``imported(result)`` answers a real import."""
    confirm = request.form.get("confirm") == "1"
    data = uploaded_csv()

    def action() -> Result:
        if not data.strip():
            raise Invalid("Choose a CSV file first.", {"file": ["No file was chosen."]})
        return run(data, not confirm)

    def preview(result: Result | None, problem: str | None = None) -> ResponseReturnValue:
        csv_text = data.decode("utf-8-sig", errors="replace") if result else ""
        return show(import_result=result, import_problem=problem, csv_text=csv_text)

    def done(result: Result) -> ResponseReturnValue:
        return imported(result) if confirm else preview(result)

    def problem(exc: DomainError) -> ResponseReturnValue:
        if isinstance(exc, ImportRejected):
            return preview(exc.result, exc.detail)
        return preview(None, exc.detail + " " + " ".join(sum(getattr(exc, "errors", {}).values(),
                                                             [])))

    return page_write(action, done=done, problem=problem, dry_run=not confirm)
