"""One-tap writes from the cockpit and the tray page. Logging posts carry an idempotency
key (a double tap or a retry logs once); errors re-render the panel in place (409/422)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import render_template, request, url_for
from flask_login import current_user

from ...extensions import db, file_storage
from ...http.htmx import safe_next, wants_fragment
from ...services import feeding as feeding_service
from ...services import observations as obs_service
from ...services import plants as plant_service
from ...services.errors import Invalid
from ...services.metrics import record_metrics
from ...services.photos import save_photo
from ...services.read.tray import get_tray_by_uuid
from ...services.rotation import rotate_tray
from ..feed_again import ask_first, feed_again
from ..forms import int_or_none
from ..writes import page_write, respond
from . import bp
from .routes import cockpit_context, tray_context

PREFIX = "m_"


def _undo_ids(result) -> list[int] | None:
    if isinstance(result, list):
        return [log.id for log in result]
    return [result.id] if getattr(result, "fed_at", None) is not None else None


def _cockpit_write(plant_uuid, action, message, *, values=None):
    """A cockpit write: the refreshed panel (htmx) or back to the plant (or ``next``)."""
    def done(result):
        next_url = safe_next(request.form.get("next"), "")  # e.g. back to the weekly round
        return respond(fragment="floor/_cockpit.html", flash_message=message(result),
                       redirect_to=next_url or url_for("floor.plant", plant_uuid=plant_uuid,
                                                       **{"from": request.form.get("from")
                                                          or None}),
                       toast=message(result), undo_ids=_undo_ids(result),
                       page=lambda: cockpit_context(plant_uuid))

    def problem(exc):
        ctx = cockpit_context(plant_uuid, problem=exc.detail,
                              errors=getattr(exc, "errors", {}),
                              again=feed_again(exc, "#cockpit"),
                              **({"values": values} if values is not None else {}))
        return render_template("floor/_cockpit.html" if wants_fragment()
                               else "floor/plant.html", **ctx)

    return page_write(action, done=done, problem=problem)


@bp.post("/p/<uuid:plant_uuid>/feed")
def feed(plant_uuid):
    form = request.form
    return _cockpit_write(plant_uuid, lambda: feeding_service.log_feeding(
        db.session, plant_uuid=plant_uuid, actor=current_user, status=form.get("status") or "fed",
        amount_ml=form.get("amount") or None, lot_id=int_or_none(form.get("lot_id")),
        notes=form.get("notes"), reason=form.get("reason"), ask_if_recent=ask_first()),
        lambda log: "Fed." if log.status == "fed" else f"Skipped: {log.reason}")


@bp.post("/p/<uuid:plant_uuid>/note")
def note(plant_uuid):
    return _cockpit_write(plant_uuid, lambda: obs_service.add_note(
        db.session, plant_uuid=plant_uuid, text=request.form.get("text", ""),
        actor=current_user), lambda _n: "Note saved.")


@bp.post("/p/<uuid:plant_uuid>/adverse")
def adverse(plant_uuid):
    form = request.form
    return _cockpit_write(plant_uuid, lambda: obs_service.report_adverse(
        db.session, plant_uuid=plant_uuid, kind=form.get("kind", ""),
        severity=form.get("severity"), notes=form.get("notes", ""), actor=current_user),
        lambda e: f"Reported {e.kind}.")


@bp.post("/p/<uuid:plant_uuid>/adverse/<int:adverse_id>/resolve")
def resolve(plant_uuid, adverse_id: int):
    return _cockpit_write(plant_uuid, lambda: obs_service.resolve_adverse(
        db.session, adverse_id=adverse_id, actor=current_user), lambda e: f"{e.kind} resolved.")


@bp.post("/p/<uuid:plant_uuid>/measure")
def measure(plant_uuid):
    values = {k.removeprefix(PREFIX): request.form.getlist(k)[-1] for k in request.form
              if k.startswith(PREFIX)}
    week = int_or_none(request.form.get("week_number"))
    return _cockpit_write(plant_uuid, lambda: record_metrics(
        db.session, plant_uuid=plant_uuid, week_number=week, values=values,
        actor=current_user), lambda _m: f"Week {week} measured.", values=values)


@bp.post("/p/<uuid:plant_uuid>/photo")
def photo(plant_uuid):
    """Camera capture on phones; Pillow re-encodes it (orientation applied, GPS gone)."""
    upload = request.files.get("file")

    def action():
        if upload is None or not upload.filename:
            raise Invalid("Take or choose a photo first.", {"file": ["No photo was sent."]})
        return save_photo(db.session, plant_uuid=plant_uuid, data=upload.read(),
                          filename=upload.filename, actor=current_user,
                          storage=file_storage(),
                          caption=request.form.get("caption", ""),
                          week_number=int_or_none(request.form.get("week_number")))

    return _cockpit_write(plant_uuid, action, lambda saved: "Photo saved." + (
        f" (week {saved.week_number})" if saved.week_number is not None else ""))


@bp.post("/p/<uuid:plant_uuid>/remove")
def remove(plant_uuid):
    return _cockpit_write(plant_uuid, lambda: plant_service.remove_plant(
        db.session, plant_uuid=plant_uuid, reason=request.form.get("reason", ""),
        actor=current_user), lambda plant: f"{plant.plant_code} removed.")


@bp.post("/p/<uuid:plant_uuid>/replace")
def replace(plant_uuid):
    def done(new):
        if wants_fragment():
            return "", 204, {"HX-Redirect": url_for("floor.plant", plant_uuid=new.uuid)}
        return respond(fragment=None, redirect_to=url_for("floor.plant", plant_uuid=new.uuid),
                       flash_message=f"{new.plant_code} replaces it. Capture its baseline and "
                       "print its label.")

    return page_write(lambda: plant_service.replace_plant(
        db.session, plant_uuid=plant_uuid, reason=request.form.get("reason", ""),
        inherit_tray=request.form.get("inherit_tray") != "0", actor=current_user),
        done=done, problem=lambda exc: render_template(
            "floor/_cockpit.html" if wants_fragment() else "floor/plant.html",
            **cockpit_context(plant_uuid, problem=exc.detail)))


@bp.post("/feeding/undo")
def undo_feed():
    """Take back feeds logged in the last minute (the toast's Undo button)."""
    ids = [int(i) for i in request.form.getlist("log_id") if i.isdigit()]
    back = request.form.get("plant_uuid")

    def undo():
        return feeding_service.undo_feeding(db.session, log_ids=ids, actor=current_user)

    def message(count):
        return f"Undone ({count} feed{'s' if count != 1 else ''})."

    if back:
        return _cockpit_write(back, undo, message)

    def done(count):
        if wants_fragment():
            return "", 204, {"HX-Refresh": "true"}
        return respond(fragment=None, flash_message=message(count), category="info",
                       redirect_to=safe_next(request.referrer and _path(request.referrer),
                                             url_for("experiments.index")))

    return page_write(undo, done=done)


def _path(url: str) -> str:
    """The in-app path of a same-site Referer (safe_next refuses anything with a host)."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


# Tray page --------------------------------------------------------------------------------

def _tray_write(tray_uuid, action, message, undo_ids=lambda _result: None):
    def done(result):
        return respond(fragment="floor/_tray.html", flash_message=message(result),
                       redirect_to=url_for("floor.tray", tray_uuid=tray_uuid),
                       toast=message(result), undo_ids=undo_ids(result),
                       page=lambda: tray_context(tray_uuid))

    def problem(exc):
        return render_template("floor/_tray.html" if wants_fragment() else "floor/tray.html",
                               problem=exc.detail, again=feed_again(exc, "#tray-panel"),
                               **tray_context(tray_uuid))

    return page_write(action, done=done, problem=problem)


@bp.post("/t/<uuid:tray_uuid>/feed")
def feed_tray(tray_uuid):
    form = request.form

    def action():
        tray = get_tray_by_uuid(db.session, tray_uuid)
        return tray, feeding_service.feed_tray(db.session, tray_id=tray.id, actor=current_user,
                                               amount_ml=form.get("amount") or None,
                                               lot_id=int_or_none(form.get("lot_id")),
                                               ask_if_recent=ask_first())

    return _tray_write(tray_uuid, action,
                       lambda r: f"Fed {len(r[1])} plants in {r[0].code}.",
                       undo_ids=lambda r: [lg.id for lg in r[1]])


@bp.post("/t/<uuid:tray_uuid>/move")
def move_tray(tray_uuid):
    form = request.form

    def action():
        tray = get_tray_by_uuid(db.session, tray_uuid)
        logs = rotate_tray(db.session, tray_id=tray.id,
                           to_slot_id=int_or_none(form.get("to_slot_id")),
                           swap=form.get("swap") == "1", note=form.get("note", ""),
                           actor=current_user)
        return f"{tray.code} moved{' (swapped)' if len(logs) > 1 else ''}."

    return _tray_write(tray_uuid, action, lambda text: text)
