"""Label sheets as PDF (the same services as the labels page):
GET /experiments/{id}/labels.pdf makes up to 100 labels while the request waits (rendered
in a render process, a bounded number at a time: growapp.http.render_slots); more are made
by POST /experiments/{id}/labels/jobs, followed at GET /jobs/{id}."""

from __future__ import annotations

from flask import Response, current_app, request, url_for
from flask_login import current_user
from pydantic import Field
from sqlalchemy.orm import Session

from ..extensions import job_queue
from ..http.render_slots import request_slots
from ..jobs import submit_job
from ..labels import qr_base_url
from ..services.errors import Conflict, Invalid
from ..services.labels import jobs as label_jobs
from ..services.labels.printing import print_labels
from ..services.labels.selection import DEFAULT_FIELDS, LabelRequest
from .framework import endpoint
from .jobs import JobOut, job_out
from .schemas import StrictIn

TAG = "Labels"


class LabelsQuery(StrictIn):
    template: str = Field("avery-5160", max_length=40,
                          description="Sheet template slug: avery-5160, avery-8160, "
                                      "avery-l7651, thermal-50x25 or an admin's own.")
    plants: str | None = Field(None, max_length=8000,
                               description="all | needs_label | comma-separated plant uuids "
                                           "(the default when trays and tents are absent: "
                                           "all).")
    tray: str | None = Field(None, max_length=24,
                             description="Only plants in the tray with this code, e.g. TR3.")
    trays: str | None = Field(None, max_length=8000,
                              description="Tray labels: all | comma-separated tray uuids.")
    tents: str | None = Field(None, max_length=8000,
                              description="Tent labels (no QR code): all | comma-separated "
                                          "tent uuids.")
    fields: str | None = Field(None, max_length=200,
                               description="Comma-separated: species, cultivar, recipe, tray, "
                                           "grade, planted, experiment. Default: species, "
                                           "recipe, experiment. Empty: the code alone.")
    start: int = Field(1, description="First free label on the first sheet (1-based).")
    copies: int = Field(1, description="Copies of each label, 1–10.")


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def label_request(query: LabelsQuery) -> LabelRequest:
    given = [name for name in ("plants", "trays", "tents") if getattr(query, name)]
    if len(given) > 1:
        raise Invalid("Ask for plants, trays or tents, one kind at a time.",
                      {name: ["Give only one of plants, trays and tents."] for name in given})
    kind = given[0] if given else "plants"
    value = getattr(query, kind) or "all"
    plant_filter = "all"
    uuids: list[str] = []
    if kind == "plants":
        if value in ("all", "needs_label"):
            plant_filter = value
        else:
            plant_filter, uuids = "selected", _split(value)
    elif value != "all":
        uuids = _split(value)
    fields = DEFAULT_FIELDS if query.fields is None else tuple(
        _split(query.fields))
    return LabelRequest(kind=kind, template=query.template, plant_filter=plant_filter,
                        tray=query.tray or None, uuids=uuids, fields=fields, start=query.start,
                        copies=query.copies)


def _base_url(req: LabelRequest) -> str | None:
    if req.kind == "tents":
        return None  # tent labels carry no QR code
    return qr_base_url(current_app.config, request.host_url)


@endpoint("/experiments/<int:experiment_id>/labels.pdf", "GET", tag=TAG, query=LabelsQuery,
          summary="Label sheet PDF (application/pdf), up to 100 labels; 409 above that "
                  "(diagnostics.job_route: start a job there) or when the QR address is "
                  "unusable. Made while the request waits (in a render process), one at a "
                  "time per user (429) and GROWAPP_PDF_CONCURRENCY per server (503), both "
                  "with Retry-After",
          errors=(404, 409, 429, 503), produces="application/pdf")
def labels_pdf(session: Session, experiment_id: int, query: LabelsQuery):
    req = label_request(query)
    try:
        slots = request_slots()
        prepared, pdf = print_labels(
            session, experiment_id=experiment_id, request=req, base_url=_base_url(req),
            actor=current_user, processes=slots.size, timeout=slots.timeout,
            render_slot=lambda: slots.hold(current_user.id))
    except Conflict as exc:
        if "limit" in exc.diagnostics:
            exc.diagnostics["job_route"] = url_for("api.create_label_job",
                                                   experiment_id=experiment_id)
        raise
    session.rollback()  # a GET writes nothing; POST .../labels/jobs records the print
    resp = Response(pdf, mimetype="application/pdf")
    resp.headers["Content-Disposition"] = f'attachment; filename="{prepared.filename}"'
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


@endpoint("/experiments/<int:experiment_id>/labels/jobs", "POST", tag=TAG, body=LabelsQuery,
          response=JobOut, status=202, role="viewer", idempotent=True,
          errors=(404, 409, 503),
          summary="Start a label PDF job (any number of labels; viewers may: printing is "
                  "reading). Same choices as labels.pdf, as a JSON body. 202 with the job; "
                  "follow GET /jobs/{id}. 503 when the job queue is down")
def create_label_job(session: Session, experiment_id: int, body: LabelsQuery):
    req = label_request(body)
    job = label_jobs.create_label_job(session, experiment_id=experiment_id, request=req,
                                      base_url=_base_url(req), actor=current_user)
    submit_job(session, job_queue(), job)
    return job_out(job)
