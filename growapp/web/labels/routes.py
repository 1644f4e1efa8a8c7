"""Labels: choose what to print, preview the first sheet, download the PDF (up to 100
labels) or start a background job and follow it; admins add sheet templates here too.

The preview is HTML built from the same layout as the PDF (growapp.labels.sheet), styled
by a stylesheet this blueprint serves per template: the CSP (``style-src 'self'``, no
inline styles, ``frame-ancestors 'none'``) rules out an iframe or inline positions, and a
PNG would need a PDF rasteriser in production.
"""

from __future__ import annotations

import hashlib

from flask import Response, current_app, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import func, select

from ...extensions import db, file_storage, job_queue
from ...http.access import admin_only, viewer_may_write
from ...http.htmx import wants_fragment
from ...http.render_slots import request_slots
from ...http.stored_files import stored_file_response
from ...jobs import submit_job
from ...labels import qr_base_url, qr_points_at_localhost
from ...labels.render_process import warm_renderers
from ...labels.sheet import page_html, sheet_css
from ...models import Tent, Tray
from ...services import experiments as exp_service
from ...services import jobs as job_service
from ...services.errors import Conflict, DomainError, Invalid
from ...services.labels import jobs as label_jobs
from ...services.labels import printing, selection, sheet_templates, ticks
from ...services.read.readiness import setup_status
from ..writes import page_write, respond
from . import bp
from .forms import LabelTemplateForm, label_request, query_args


def _base_url(req: selection.LabelRequest) -> str | None:
    """The QR address, decided here (config + request host) and handed to the service."""
    if req.kind == "tents":
        return None  # tent labels carry no QR code
    return qr_base_url(current_app.config, request.host_url)


def _css_url(experiment_id: int, template) -> str:
    version = hashlib.sha256(repr(template.as_dict()).encode()).hexdigest()[:12]
    return url_for("labels.sheet_style", experiment_id=experiment_id, slug=template.slug,
                   v=version)


def _problem(exc: DomainError) -> dict:
    return {"status": exc.status, "detail": exc.detail, "errors": getattr(exc, "errors", {})}


def _preview(experiment_id: int, req: selection.LabelRequest) -> dict:
    """Preview context; a 409/422 becomes a problem shown in place of the sheet."""
    session = db.session
    try:
        prepared, cells = selection.preview_labels(
            session, experiment_id=experiment_id, request=req, base_url=_base_url(req))
    except (Invalid, Conflict) as exc:
        session.rollback()
        return {"problem": _problem(exc)}
    template = prepared.template
    sheet = Markup(page_html(template, cells, outline=True))  # noqa: S704 - escaped inside
    return {"prepared": prepared, "sheet": sheet, "css_url": _css_url(experiment_id, template),
            "template_class": f"lbl-tpl-{template.slug}", "query": query_args(prepared.request),
            "first_page_count": len(cells)}


def _context(experiment_id: int, req: selection.LabelRequest, *, full: bool = True,
             **extra) -> dict:
    """What the page shows; ``full=False``: only what the preview fragment needs."""
    session = db.session
    experiment = exp_service.get_experiment(session, experiment_id)
    ctx = {"experiment": experiment, "req": req, "background_over": selection.BACKGROUND_OVER}
    if full:
        ctx.update(_page_context(experiment_id, req))
        if ctx["is_admin"]:
            ctx["template_form"] = extra.pop("template_form", None) or LabelTemplateForm(
                formdata=None)
    ctx.update(_preview(experiment_id, req))
    ctx.update(extra)
    return ctx


def _page_context(experiment_id: int, req: selection.LabelRequest) -> dict:
    """The form's choices. The plants to tick are not listed here: the tick list loads a
    page at a time when opened (labels.tick_list); only the ticked ones come with the page."""
    session = db.session
    trays = session.execute(select(Tray.uuid, Tray.code).where(
        Tray.experiment_id == experiment_id).order_by(func.length(Tray.code), Tray.code)).all()
    tents = session.execute(select(Tent.uuid, Tent.code, Tent.name).where(
        Tent.experiment_id == experiment_id).order_by(func.length(Tent.code), Tent.code)).all()
    at = request.args.get("ticks", type=int)  # no JS: a page of the list, inline
    plant_uuids = req.uuids if req.kind == "plants" else []
    return {
        "bar_setup": setup_status(session, experiment_id),
        "ticked": {str(u) for u in req.uuids},
        "templates": sheet_templates.list_templates(session),
        "label_fields": selection.LABEL_FIELDS, "trays": trays, "tents": tents,
        "plant_count": ticks.matching_count(session, experiment_id, req.q),
        "ticked_rows": ticks.ticked_rows(session, experiment_id, plant_uuids,
                                         2 * selection.MAX_TICKED),
        "ticks": ticks.tick_page(session, experiment_id, q=req.q, at=at, exclude=plant_uuids)
        if at is not None else None,
        "max_ticked": selection.MAX_TICKED,
        "is_admin": current_user.has_role("admin"),
        "jobs": label_jobs.recent_label_jobs(session, experiment_id=experiment_id,
                                             actor=current_user),
        "last_printed": selection.last_printed_at(session, experiment_id),
        **_job_ctx(),
        "qr_local": qr_points_at_localhost(current_app.config, request.host_url),
    }


def _job_ctx() -> dict:
    return {"job_state": job_service.job_state, "job_error": job_service.job_error}


def _status(ctx: dict) -> int:
    return ctx["problem"]["status"] if ctx.get("problem") else 200


# Pages -----------------------------------------------------------------------------------

@bp.get("")
def index(experiment_id: int):
    """The page; with HTMX (the form changed), only the preview."""
    req = label_request(request.args)
    if wants_fragment():
        ctx = _context(experiment_id, req, full=False)
        return render_template("labels/_preview.html", **ctx), _status(ctx)
    ctx = _context(experiment_id, req)
    warm_renderers(request_slots().size)  # a download may follow
    return render_template("labels/index.html", **ctx), _status(ctx)


@bp.get("/plants")
def tick_list(experiment_id: int):
    """The tick list: the next page for its sentinel, or (``whole=1``, the search changed)
    the ticked plants sent along and the first page of the others matching."""
    session = db.session
    experiment = exp_service.get_experiment(session, experiment_id)
    req = selection.LabelRequest(q=ticks.clean_search(request.args.get("q")))
    ticked = request.args.getlist("plant")
    page = ticks.tick_page(session, experiment_id, q=req.q,
                           at=min(max(request.args.get("at", 0, type=int), 0), 10**7),
                           exclude=ticked)
    if request.args.get("whole"):
        return render_template(
            "labels/_ticks.html", experiment=experiment, req=req, ticks=page, count_oob=True,
            plant_count=ticks.matching_count(session, experiment_id, req.q),
            ticked_rows=ticks.ticked_rows(session, experiment_id, ticked,
                                          2 * selection.MAX_TICKED))
    return render_template("labels/_ticks_page.html", experiment=experiment, req=req,
                           ticks=page)


@bp.get("/sheet-<slug>.css")
def sheet_style(experiment_id: int, slug: str):
    """The preview's stylesheet for one template: cell positions in container units."""
    template = sheet_templates.get_template(db.session, slug)
    css = sheet_css(template, screen=True, scope=f".lbl-tpl-{template.slug}")
    resp = Response(css, mimetype="text/css")
    resp.headers["Cache-Control"] = "private, max-age=86400"
    return resp


@bp.get("/sheet.pdf")
def sheet_pdf(experiment_id: int):
    """The PDF, made now: up to 100 labels (any signed-in user: printing is reading),
    rendered in a render process while this request waits, one render per user and
    PDF_CONCURRENCY per server at a time (else 429/503 with Retry-After). A GET writes
    nothing; the page prints through the job (POST), which records it."""
    session = db.session
    req = label_request(request.args)
    slots = request_slots()
    prepared, pdf = printing.print_labels(
        session, experiment_id=experiment_id, request=req, base_url=_base_url(req),
        actor=current_user, processes=slots.size, timeout=slots.timeout,
        render_slot=lambda: slots.hold(current_user.id))
    session.rollback()  # nothing to keep: the transaction only read
    resp = Response(pdf, mimetype="application/pdf")
    resp.headers["Content-Disposition"] = f'attachment; filename="{prepared.filename}"'
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


@bp.post("/jobs")
@viewer_may_write  # printing changes no trial data: viewers print too
def create_job(experiment_id: int):
    """A large print as a background job. HTMX gets the progress card."""
    req = label_request(request.form)

    def start():
        session = db.session
        job = label_jobs.create_label_job(session, experiment_id=experiment_id, request=req,
                                          base_url=_base_url(req), actor=current_user)
        submit_job(session, job_queue(), job)
        return job

    def problem(exc: DomainError):
        if wants_fragment():  # into #labels-job, under the button
            return render_template("errors/_problem.html", **_problem(exc))
        return render_template("labels/index.html",
                               **{**_context(experiment_id, req), "problem": _problem(exc)})

    return page_write(start, problem=problem, key=None, done=lambda job: respond(
        fragment="labels/_job.html", job=job, experiment_id=experiment_id, **_job_ctx(),
        redirect_to=url_for("labels.job", experiment_id=experiment_id, job_uuid=job.uuid)))


@bp.get("/jobs/<uuid:job_uuid>")
def job(experiment_id: int, job_uuid):
    """Progress of a job: the page, or (HTMX polling) the card alone."""
    session = db.session
    job = label_jobs.get_label_job(session, experiment_id=experiment_id, job_uuid=job_uuid,
                                   actor=current_user)
    if wants_fragment():
        return render_template("labels/_job.html", job=job, experiment_id=experiment_id,
                               **_job_ctx())
    experiment = exp_service.get_experiment(session, experiment_id)
    return render_template("labels/job.html", job=job, experiment=experiment,
                           experiment_id=experiment_id,
                           bar_setup=setup_status(session, experiment_id), **_job_ctx())


@bp.get("/jobs/<uuid:job_uuid>.pdf")
def job_file(experiment_id: int, job_uuid):
    """The finished PDF, for the user who started the job (and admins): 409 while it is
    being made, 410 once it expired."""
    job = label_jobs.get_label_job(db.session, experiment_id=experiment_id,
                                   job_uuid=job_uuid, actor=current_user)
    return stored_file_response(file_storage(), job_service.job_file_key(job),
                                mimetype="application/pdf",
                                download_name=job.file_name or f"labels-{job.uuid}.pdf")


# Admin: sheet templates ------------------------------------------------------------------

@bp.post("/templates")
@admin_only
def create_template(experiment_id: int):
    """Add a sheet template (admins), then show the labels page previewing it."""
    form = LabelTemplateForm()
    req = label_request(request.args)

    def add():
        return sheet_templates.create_template(
            db.session, actor=current_user, name=form.name.data, slug=form.slug.data or None,
            **form.geometry())

    def problem(exc: DomainError):
        if getattr(exc, "errors", None):
            form.form_errors.append(exc.detail)
        ctx = _context(experiment_id, req, template_form=form, template_form_open=True)
        return render_template("labels/index.html", **ctx)

    return page_write(add, form=form, problem=problem, key=None, done=lambda row: respond(
        fragment=None, flash_message=f"Added the template {row.name}. The preview below "
                                     "uses it.",
        redirect_to=url_for("labels.index", experiment_id=experiment_id, template=row.slug,
                            kind=req.kind) + "#labels-preview"))
