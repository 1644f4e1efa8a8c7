"""Labels: choose what to print, preview the first sheet, download the PDF or follow a
background job; admins add sheet templates here too.

The preview is HTML built from the same layout as the PDF (growapp.labels.render), styled
by a stylesheet this blueprint serves per template: the CSP (``style-src 'self'``, no
inline styles, ``frame-ancestors 'none'``) rules out an iframe or inline positions, and a
PNG would need a PDF rasteriser in production.
"""

from __future__ import annotations

import hashlib
import threading

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from sqlalchemy import func, select
from wtforms import DecimalField, IntegerField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ...extensions import db, sqlite_write_intent
from ...http.access import admin_only
from ...http.htmx import wants_fragment
from ...labels import qr_base_url, qr_points_at_localhost, render_workers
from ...labels.render import page_html, sheet_css, warm_helpers
from ...models import Plant, Species, Tent, Tray
from ...services import experiments as exp_service
from ...services import labels as label_service
from ...services.errors import Conflict, Invalid
from ...services.readiness import status_summary
from ..forms import int_or_none, merge_errors
from . import bp

MM = {"places": None, "validators": [DataRequired(), NumberRange(0, 1200)]}


class LabelTemplateForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    slug = StringField("Short id", validators=[Optional(), Length(max=40)])
    page_width_mm = DecimalField("Page width (mm)", **MM)
    page_height_mm = DecimalField("Page height (mm)", **MM)
    columns = IntegerField("Columns", validators=[DataRequired(), NumberRange(1, 20)])
    rows = IntegerField("Rows", validators=[DataRequired(), NumberRange(1, 50)])
    label_width_mm = DecimalField("Label width (mm)", **MM)
    label_height_mm = DecimalField("Label height (mm)", **MM)
    margin_top_mm = DecimalField("Top margin (mm)", places=None,
                                 validators=[Optional(), NumberRange(0, 1200)])
    margin_left_mm = DecimalField("Left margin (mm)", places=None,
                                  validators=[Optional(), NumberRange(0, 1200)])
    gap_x_mm = DecimalField("Gap between columns (mm)", places=None,
                            validators=[Optional(), NumberRange(0, 1200)])
    gap_y_mm = DecimalField("Gap between rows (mm)", places=None,
                            validators=[Optional(), NumberRange(0, 1200)])


# Background jobs: a thread per job with its own Session (tests join them) ----------------

_threads: dict[str, threading.Thread] = {}


def start_label_job(job) -> threading.Thread:
    """Run ``job`` (already committed) in a thread of this process."""
    app = current_app._get_current_object()
    factory = app.extensions["growapp_db"].session_factory
    upload_dir = app.config["UPLOAD_DIR"]
    workers = render_workers(app.config)
    job_id = job.id

    def run() -> None:
        sqlite_write_intent.set(True)  # this thread writes progress: BEGIN IMMEDIATE
        label_service.run_label_job(factory, job_id=job_id, upload_dir=upload_dir,
                                    workers=workers)

    thread = threading.Thread(target=run, name=f"label-job-{job.uuid}", daemon=True)
    for key, old in list(_threads.items()):
        if not old.is_alive():
            _threads.pop(key, None)
    _threads[str(job.uuid)] = thread
    thread.start()
    return thread


def wait_for_label_jobs(timeout: float = 120) -> None:
    for thread in list(_threads.values()):
        thread.join(timeout)


# Reading the form ------------------------------------------------------------------------

def _label_request(source) -> label_service.LabelRequest:
    """From the query string (preview, download) or a form body (job)."""
    kind = source.get("kind") or "plants"
    uuids = {"plants": source.getlist("plant"), "trays": source.getlist("tray_uuid"),
             "tents": source.getlist("tent_uuid")}.get(kind, [])
    if source.get("submitted"):
        fields = tuple(source.getlist("fields"))
    else:
        fields = label_service.DEFAULT_FIELDS

    def number(name: str, default: int):
        raw = source.get(name)
        if raw in (None, ""):
            return default
        value = int_or_none(raw)
        return value if value is not None else str(raw)[:20]

    return label_service.LabelRequest(
        kind=kind, template=source.get("template") or "avery-5160",
        plant_filter=source.get("plants") or "all", tray=(source.get("tray") or None),
        uuids=[u for u in uuids if u], fields=fields,
        start=number("start", 1), copies=number("copies", 1))


def _query_args(req: label_service.LabelRequest) -> dict:
    """The request as query-string arguments (download link, job form, CSS cache key)."""
    args: dict = {"submitted": "1", "kind": req.kind, "template": req.template,
                  "plants": req.plant_filter, "start": req.start, "copies": req.copies,
                  "fields": list(req.fields)}
    if req.tray:
        args["tray"] = req.tray
    if req.uuids:
        args[{"plants": "plant", "trays": "tray_uuid", "tents": "tent_uuid"}[req.kind]] = \
            list(req.uuids)
    return args


def _base_url(req: label_service.LabelRequest) -> str | None:
    """The QR address, decided here (config + request host) and handed to the service."""
    if req.kind == "tents":
        return None  # tent labels carry no QR code
    return qr_base_url(current_app.config, request.host_url)


def _css_url(experiment_id: int, template) -> str:
    version = hashlib.sha256(repr(template.as_dict()).encode()).hexdigest()[:12]
    return url_for("labels.sheet_style", experiment_id=experiment_id, slug=template.slug,
                   v=version)


def _preview(experiment_id: int, req: label_service.LabelRequest) -> dict:
    """Preview context; a 409/422 becomes a problem shown in place of the sheet."""
    session = db.session
    try:
        prepared, cells = label_service.preview_labels(
            session, experiment_id=experiment_id, request=req, base_url=_base_url(req))
    except Invalid as exc:
        session.rollback()
        return {"problem": {"status": 422, "detail": exc.detail, "errors": exc.errors}}
    except Conflict as exc:
        session.rollback()
        return {"problem": {"status": 409, "detail": exc.detail, "errors": {}}}
    template = prepared.template
    sheet = Markup(page_html(template, cells, outline=True))  # noqa: S704 - escaped inside
    return {"prepared": prepared, "sheet": sheet, "css_url": _css_url(experiment_id, template),
            "template_class": f"lbl-tpl-{template.slug}", "query": _query_args(prepared.request),
            "first_page_count": len(cells)}


def _context(experiment_id: int, req: label_service.LabelRequest, *, full: bool = True,
             **extra) -> dict:
    """What the page shows; ``full=False``: only what the preview fragment needs."""
    session = db.session
    experiment = exp_service.get_experiment(session, experiment_id)
    ctx = {"experiment": experiment, "req": req,
           "background_over": label_service.BACKGROUND_OVER,
           "can_write": current_user.has_role("operator")}
    if full:
        ctx.update(_page_context(experiment_id, req))
        if ctx["is_admin"]:
            ctx["template_form"] = extra.pop("template_form", None) or LabelTemplateForm(
                formdata=None)
    ctx.update(_preview(experiment_id, req))
    ctx.update(extra)
    return ctx


def _page_context(experiment_id: int, req: label_service.LabelRequest) -> dict:
    session = db.session
    plants = session.execute(
        select(Plant.uuid, Plant.plant_code, Species.common_name)
        .join(Species, Species.id == Plant.species_id)
        .where(Plant.experiment_id == experiment_id, Plant.status == "active")
        .order_by(Plant.plant_code)).all()
    trays = session.execute(select(Tray.uuid, Tray.code).where(
        Tray.experiment_id == experiment_id).order_by(func.length(Tray.code), Tray.code)).all()
    tents = session.execute(select(Tent.uuid, Tent.code, Tent.name).where(
        Tent.experiment_id == experiment_id).order_by(func.length(Tent.code), Tent.code)).all()
    return {
        "summary": status_summary(session, experiment_id),
        "ticked": {str(u) for u in req.uuids},
        "templates": label_service.list_templates(session),
        "label_fields": label_service.LABEL_FIELDS, "plants": plants, "trays": trays,
        "tents": tents, "max_ticked": label_service.MAX_TICKED,
        "is_admin": current_user.has_role("admin"),
        "jobs": label_service.recent_jobs(session, experiment_id=experiment_id,
                                          actor=current_user),
        "job_state": label_service.job_state, "job_error": label_service.job_error,
        "last_printed": label_service.last_printed_at(session, experiment_id),
        "qr_local": qr_points_at_localhost(current_app.config, request.host_url),
    }


def _status(ctx: dict) -> int:
    return ctx["problem"]["status"] if ctx.get("problem") else 200


# Pages -----------------------------------------------------------------------------------

@bp.get("")
def index(experiment_id: int):
    """The page; with HTMX (the form changed), only the preview."""
    req = _label_request(request.args)
    if wants_fragment():
        ctx = _context(experiment_id, req, full=False)
        return render_template("labels/_preview.html", **ctx), _status(ctx)
    ctx = _context(experiment_id, req)
    warm_helpers(render_workers(current_app.config))  # a large print may follow
    return render_template("labels/index.html", **ctx), _status(ctx)


@bp.get("/sheet-<slug>.css")
def sheet_style(experiment_id: int, slug: str):
    """The preview's stylesheet for one template: cell positions in container units."""
    template = label_service.get_template(db.session, slug)
    css = sheet_css(template, screen=True, scope=f".lbl-tpl-{template.slug}")
    resp = Response(css, mimetype="text/css")
    resp.headers["Cache-Control"] = "private, max-age=86400"
    return resp


def _pdf_response(pdf: bytes, filename: str) -> Response:
    resp = Response(pdf, mimetype="application/pdf")
    resp.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


@bp.get("/sheet.pdf")
def sheet_pdf(experiment_id: int):
    """The PDF, rendered now (any signed-in user: printing changes no trial data)."""
    session = db.session
    req = _label_request(request.args)
    prepared, pdf = label_service.print_labels(
        session, experiment_id=experiment_id, request=req, base_url=_base_url(req),
        actor=current_user, workers=render_workers(current_app.config))
    session.commit()
    return _pdf_response(pdf, prepared.filename)


@bp.post("/jobs")
def create_job(experiment_id: int):
    """A large print as a background job (operators). HTMX gets the progress card."""
    session = db.session
    req = _label_request(request.form)
    try:
        job = label_service.create_label_job(session, experiment_id=experiment_id,
                                             request=req, base_url=_base_url(req),
                                             actor=current_user)
    except (Invalid, Conflict) as exc:
        session.rollback()
        status = 422 if isinstance(exc, Invalid) else 409
        errors = getattr(exc, "errors", {})
        if wants_fragment():  # into #labels-job, under the button
            return render_template("errors/_problem.html", status=status, detail=exc.detail,
                                   errors=errors), status
        ctx = _context(experiment_id, req)
        ctx["problem"] = {"status": status, "detail": exc.detail, "errors": errors}
        return render_template("labels/index.html", **ctx), status
    session.commit()
    start_label_job(job)
    if wants_fragment():
        return render_template("labels/_job.html", job=job, experiment_id=experiment_id,
                               **_job_ctx()), 201
    return redirect(url_for("labels.job", experiment_id=experiment_id, job_uuid=job.uuid),
                    code=303)


def _job_ctx() -> dict:
    return {"job_state": label_service.job_state, "job_error": label_service.job_error}


@bp.get("/jobs/<uuid:job_uuid>")
def job(experiment_id: int, job_uuid):
    """Progress of a job: the page, or (HTMX polling) the card alone."""
    session = db.session
    job = label_service.get_label_job(session, experiment_id=experiment_id, job_uuid=job_uuid,
                                      actor=current_user)
    if wants_fragment():
        return render_template("labels/_job.html", job=job, experiment_id=experiment_id,
                               **_job_ctx())
    experiment = exp_service.get_experiment(session, experiment_id)
    return render_template("labels/job.html", job=job, experiment=experiment,
                           experiment_id=experiment_id,
                           summary=status_summary(session, experiment_id), **_job_ctx())


@bp.get("/jobs/<uuid:job_uuid>.pdf")
def job_file(experiment_id: int, job_uuid):
    """The finished PDF, for the user who started the job (and admins)."""
    session = db.session
    job = label_service.get_label_job(session, experiment_id=experiment_id, job_uuid=job_uuid,
                                      actor=current_user)
    if label_service.job_state(job) != "done":
        raise Conflict("This PDF is not ready yet.",
                       {"status": label_service.job_state(job), "done": job.done,
                        "total": job.total})
    path = label_service.job_file(job, current_app.config["UPLOAD_DIR"])
    if not path.is_file():
        abort(404)
    resp = send_file(path, mimetype="application/pdf", as_attachment=True,
                     download_name=job.options.get("filename") or f"labels-{job.uuid}.pdf",
                     conditional=True)
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


# Admin: sheet templates ------------------------------------------------------------------

def _num(value):
    return float(value) if value is not None else None


@bp.post("/templates")
@admin_only
def create_template(experiment_id: int):
    """Add a sheet template (admins), then show the labels page previewing it."""
    if not current_user.has_role("admin"):
        abort(403)
    session = db.session
    form = LabelTemplateForm()
    req = _label_request(request.args)
    if form.validate():
        try:
            row = label_service.create_template(
                session, actor=current_user, name=form.name.data, slug=form.slug.data or None,
                page_width_mm=_num(form.page_width_mm.data),
                page_height_mm=_num(form.page_height_mm.data), columns=form.columns.data,
                rows=form.rows.data, label_width_mm=_num(form.label_width_mm.data),
                label_height_mm=_num(form.label_height_mm.data),
                margin_top_mm=_num(form.margin_top_mm.data),
                margin_left_mm=_num(form.margin_left_mm.data),
                gap_x_mm=_num(form.gap_x_mm.data), gap_y_mm=_num(form.gap_y_mm.data))
        except Invalid as exc:
            session.rollback()
            merge_errors(form, exc)
            if exc.errors:
                form.form_errors.append(exc.detail)
        else:
            session.commit()
            flash(f"Added the template {row.name}. The preview below uses it.", "success")
            return redirect(url_for("labels.index", experiment_id=experiment_id,
                                    template=row.slug, kind=req.kind) + "#labels-preview",
                            code=303)
    ctx = _context(experiment_id, req, template_form=form, template_form_open=True)
    return render_template("labels/index.html", **ctx), 422
