"""Printing now: a PDF made while the request waits (small prints only; a GET, so it
records nothing), rendered in a render process so the web worker stays free, and the
print record the label job (a POST) writes."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext

from sqlalchemy.orm import Session

from ...labels.pdf import render_pdf
from ...labels.render_process import RENDER_TIMEOUT, render_apart
from ...models import Event, User
from ..errors import Conflict
from ..events import record_event
from .selection import BACKGROUND_OVER, PRINT_EVENT, LabelRequest, Prepared, prepare_labels


def record_print(session: Session, prepared: Prepared, actor: User | None) -> Event:
    """The print goes into the activity stream ("needs label" counts from the last one)."""
    request = prepared.request
    noun = request.kind if len(prepared.ids) != 1 else request.kind[:-1]
    return record_event(
        session, kind=PRINT_EVENT[request.kind], actor=actor,
        experiment_id=prepared.experiment.id,
        summary=f"Printed {prepared.count} label{'s' if prepared.count != 1 else ''} for "
                f"{len(prepared.ids)} {noun} on {prepared.template.name}",
        payload={"template": prepared.template.slug, "count": prepared.count,
                 "selected": len(prepared.ids), "copies": request.copies,
                 "start": request.start, "fields": list(request.fields)})


def print_labels(session: Session, *, experiment_id: int, request: LabelRequest,
                 base_url: str | None, actor: User | None, processes: int = 1,
                 timeout: float = RENDER_TIMEOUT,
                 render_slot: Callable[[], AbstractContextManager] = nullcontext
                 ) -> tuple[Prepared, bytes]:
    """Render the PDF now; nothing is written (GETs call this: a download is not a print —
    the label job records prints). Raises what prepare_labels raises, and
    Conflict when there are more than BACKGROUND_OVER labels (copies included): those are
    made by a background job (``jobs.create_label_job``), never in a request.
    ``render_slot()`` is held around the rendering alone (the caller's bound on renders
    at a time; it raises what it raises when none is free), after every check. The
    WeasyPrint work runs in one of ``processes`` render processes (never in this one);
    a render process that dies, or a render over ``timeout`` seconds, raises
    Unavailable."""
    prepared = prepare_labels(session, experiment_id=experiment_id, request=request,
                              base_url=base_url)
    if prepared.count > BACKGROUND_OVER:
        raise Conflict(
            f"That is {prepared.count:,} labels: more than {BACKGROUND_OVER} are made as a "
            "background job. Start a label job, then download the PDF when it is ready.",
            {"labels": prepared.count, "limit": BACKGROUND_OVER})
    with render_slot():
        pdf = render_apart(render_pdf, prepared.template, prepared.labels,
                           start=prepared.request.start, title=prepared.title,
                           processes=processes, timeout=timeout)
    return prepared, pdf
