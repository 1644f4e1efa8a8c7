"""The CSV upload of the row imports' endpoints (plants, weekly measurements): the file is
the multipart field ``file``; the answer is every row as checked."""

from __future__ import annotations

from collections.abc import Callable

from flask import request
from sqlalchemy.orm import Session

from ..services.errors import Invalid
from ..services.row_import import ImportRejected, RowImport


def csv_import_response(session: Session, run: Callable[[bytes], RowImport], *,
                        dry_run: bool) -> tuple[dict, int]:
    """``run(data)``'s result: 200 for a dry run, 201 for a real one; a real run refused for
    its rows is rolled back and answers 422 with the error and every row. Raises Invalid
    when no file was sent (and whatever ``run`` raises for the file itself)."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise Invalid("Send the CSV as multipart form field 'file'.",
                      {"file": ["No file was sent."]})
    try:
        result = run(upload.read())
    except ImportRejected as exc:
        session.rollback()
        return {"detail": exc.detail, "errors": exc.errors, **exc.result.as_dict()}, 422
    return result.as_dict(), (200 if dry_run else 201)
