"""One-tap writes from the cockpit and the tray page. Logging posts carry an idempotency
key (a double tap or a retry logs once); errors re-render the panel in place (409/422)."""

from __future__ import annotations

from flask import (
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from ...extensions import db
from ...http.htmx import safe_next, wants_fragment
from ...http.idempotency import form_key, run_idempotent
from ...services import feeding as feeding_service
from ...services import observations as obs_service
from ...services.errors import Conflict, Forbidden, Invalid
from ...services.floor import get_tray_by_uuid
from ...services.metrics import record_metrics
from ...services.photos import save_photo
from ...services.rotation import rotate_tray
from ..forms import int_or_none
from . import bp
from .routes import cockpit_context, tray_context

PREFIX = "m_"


def _cockpit_done(plant_uuid, message: str, *, undo_ids: list[int] | None = None,
                  target_uuid=None):
    """After a write: the refreshed cockpit panel (HTMX) or a redirect (plain form)."""
    target = target_uuid or plant_uuid
    if wants_fragment():
        resp = make_response(render_template("floor/_cockpit.html", toast=message,
                                             undo_ids=undo_ids, **cockpit_context(target)))
        return resp
    flash(message, "success")
    next_url = safe_next(request.form.get("next"), "")  # e.g. back to the weekly round
    return redirect(next_url or url_for("floor.plant", plant_uuid=target, **{
        "from": request.form.get("from") or None}), code=303)


def _cockpit_problem(plant_uuid, exc, **extra):
    db.session.rollback()
    status = 409 if isinstance(exc, Conflict) else 422
    ctx = cockpit_context(plant_uuid, problem=exc.detail,
                          errors=getattr(exc, "errors", {}), **extra)
    template = "floor/_cockpit.html" if wants_fragment() else "floor/plant.html"
    return render_template(template, **ctx), status


def _logged(plant_uuid, write, message):
    """Run a logging write once per idempotency key; problems come back in place."""
    try:
        return run_idempotent(form_key(), lambda: _as_response(write(), plant_uuid, message))
    except (Conflict, Invalid, Forbidden) as exc:
        return _cockpit_problem(plant_uuid, exc)


def _as_response(result, plant_uuid, message):
    undo = [log.id for log in result] if isinstance(result, list) else \
        ([result.id] if getattr(result, "fed_at", None) is not None else None)
    return make_response(_cockpit_done(plant_uuid, message(result), undo_ids=undo))


@bp.post("/p/<uuid:plant_uuid>/feed")
def feed(plant_uuid):
    form = request.form
    status = form.get("status") or "fed"
    return _logged(plant_uuid, lambda: feeding_service.log_feeding(
        db.session, plant_uuid=plant_uuid, actor=current_user, status=status,
        amount_ml=form.get("amount") or None, lot_id=int_or_none(form.get("lot_id")),
        notes=form.get("notes"), reason=form.get("reason")),
        lambda log: "Fed." if log.status == "fed" else f"Skipped: {log.reason}")


@bp.post("/p/<uuid:plant_uuid>/note")
def note(plant_uuid):
    return _logged(plant_uuid, lambda: obs_service.add_note(
        db.session, plant_uuid=plant_uuid, text=request.form.get("text", ""),
        actor=current_user), lambda _n: "Note saved.")


@bp.post("/p/<uuid:plant_uuid>/adverse")
def adverse(plant_uuid):
    form = request.form
    return _logged(plant_uuid, lambda: obs_service.report_adverse(
        db.session, plant_uuid=plant_uuid, kind=form.get("kind", ""),
        severity=form.get("severity"), notes=form.get("notes", ""), actor=current_user),
        lambda e: f"Reported {e.kind}.")


@bp.post("/p/<uuid:plant_uuid>/adverse/<int:adverse_id>/resolve")
def resolve(plant_uuid, adverse_id: int):
    return _logged(plant_uuid, lambda: obs_service.resolve_adverse(
        db.session, adverse_id=adverse_id, actor=current_user), lambda e: f"{e.kind} resolved.")


@bp.post("/p/<uuid:plant_uuid>/measure")
def measure(plant_uuid):
    values = {k.removeprefix(PREFIX): request.form.getlist(k)[-1] for k in request.form
              if k.startswith(PREFIX)}
    week = int_or_none(request.form.get("week_number"))

    def write():
        record_metrics(db.session, plant_uuid=plant_uuid, week_number=week, values=values,
                       actor=current_user)
        return make_response(_cockpit_done(plant_uuid, f"Week {week} measured."))

    try:
        return run_idempotent(form_key(), write)
    except (Conflict, Invalid) as exc:
        return _cockpit_problem(plant_uuid, exc, values=values)


@bp.post("/p/<uuid:plant_uuid>/photo")
def photo(plant_uuid):
    """Camera capture on phones; Pillow re-encodes it (orientation applied, GPS gone)."""
    upload = request.files.get("file")
    week = int_or_none(request.form.get("week_number"))

    def write():
        if upload is None or not upload.filename:
            raise Invalid("Take or choose a photo first.", {"file": ["No photo was sent."]})
        saved = save_photo(db.session, plant_uuid=plant_uuid, data=upload.read(),
                           filename=upload.filename, actor=current_user,
                           upload_dir=current_app.config["UPLOAD_DIR"],
                           caption=request.form.get("caption", ""), week_number=week)
        return make_response(_cockpit_done(plant_uuid, "Photo saved."
                                           + (f" (week {saved.week_number})"
                                              if saved.week_number is not None else "")))

    try:
        return run_idempotent(form_key(), write)
    except (Conflict, Invalid) as exc:
        return _cockpit_problem(plant_uuid, exc)


@bp.post("/p/<uuid:plant_uuid>/remove")
def remove(plant_uuid):
    session = db.session
    try:
        plant = obs_service.remove_plant(session, plant_uuid=plant_uuid,
                                         reason=request.form.get("reason", ""),
                                         actor=current_user)
    except (Conflict, Invalid) as exc:
        return _cockpit_problem(plant_uuid, exc)
    session.commit()
    return _cockpit_done(plant_uuid, f"{plant.plant_code} removed.")


@bp.post("/p/<uuid:plant_uuid>/replace")
def replace(plant_uuid):
    session = db.session
    try:
        new = obs_service.replace_plant(session, plant_uuid=plant_uuid,
                                        reason=request.form.get("reason", ""),
                                        inherit_tray=request.form.get("inherit_tray") != "0",
                                        actor=current_user)
    except (Conflict, Invalid) as exc:
        return _cockpit_problem(plant_uuid, exc)
    session.commit()
    message = f"{new.plant_code} replaces it. Capture its baseline and print its label."
    if wants_fragment():
        return "", 204, {"HX-Redirect": url_for("floor.plant", plant_uuid=new.uuid)}
    flash(message, "success")
    return redirect(url_for("floor.plant", plant_uuid=new.uuid), code=303)


@bp.post("/feeding/undo")
def undo_feed():
    """Take back feeds logged in the last minute (the toast's Undo button)."""
    session = db.session
    ids = [int(i) for i in request.form.getlist("log_id") if i.isdigit()]
    back = request.form.get("plant_uuid")
    try:
        count = feeding_service.undo_feeding(session, log_ids=ids, actor=current_user)
    except (Conflict, Forbidden) as exc:
        session.rollback()
        if back:
            return _cockpit_problem(back, exc)
        raise
    session.commit()
    message = f"Undone ({count} feed{'s' if count != 1 else ''})."
    if back:
        return _cockpit_done(back, message)
    if wants_fragment():
        return "", 204, {"HX-Refresh": "true"}
    flash(message, "info")
    return redirect(request.referrer or url_for("experiments.index"), code=303)


# Tray page --------------------------------------------------------------------------------

def _tray_done(tray_uuid, message: str, undo_ids=None):
    if wants_fragment():
        return make_response(render_template("floor/_tray.html", toast=message,
                                             undo_ids=undo_ids, **tray_context(tray_uuid)))
    flash(message, "success")
    return redirect(url_for("floor.tray", tray_uuid=tray_uuid), code=303)


def _tray_problem(tray_uuid, exc):
    db.session.rollback()
    status = 409 if isinstance(exc, Conflict) else 422
    template = "floor/_tray.html" if wants_fragment() else "floor/tray.html"
    return render_template(template, problem=exc.detail, **tray_context(tray_uuid)), status


@bp.post("/t/<uuid:tray_uuid>/feed")
def feed_tray(tray_uuid):
    form = request.form

    def write():
        tray = get_tray_by_uuid(db.session, tray_uuid)
        logs = feeding_service.feed_tray(db.session, tray_id=tray.id, actor=current_user,
                                         amount_ml=form.get("amount") or None,
                                         lot_id=int_or_none(form.get("lot_id")))
        return make_response(_tray_done(tray_uuid, f"Fed {len(logs)} plants in {tray.code}.",
                                        [lg.id for lg in logs]))

    try:
        return run_idempotent(form_key(), write)
    except (Conflict, Invalid) as exc:
        return _tray_problem(tray_uuid, exc)


@bp.post("/t/<uuid:tray_uuid>/move")
def move_tray(tray_uuid):
    form = request.form

    def write():
        tray = get_tray_by_uuid(db.session, tray_uuid)
        logs = rotate_tray(db.session, tray_id=tray.id,
                           to_slot_id=int_or_none(form.get("to_slot_id")),
                           swap=form.get("swap") == "1", note=form.get("note", ""),
                           actor=current_user)
        swapped = " (swapped)" if len(logs) > 1 else ""
        return make_response(_tray_done(tray_uuid, f"{tray.code} moved{swapped}."))

    try:
        return run_idempotent(form_key(), write)
    except (Conflict, Invalid) as exc:
        return _tray_problem(tray_uuid, exc)
