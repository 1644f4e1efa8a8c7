"""Correct or void a wrong feeding, measurement, note or issue report from the cockpit
("Fix a mistake"), with a reason. The service decides who may (the logger or an admin)."""

from __future__ import annotations

from flask import render_template, request
from flask_login import current_user

from ...extensions import db
from ...http.htmx import wants_fragment
from ...services import corrections
from ...services.corrections import UNSET
from ...services.errors import NotFound
from ...services.plants import get_plant
from . import bp
from .actions import PREFIX, _cockpit_write
from .routes import cockpit_context

WORDS = {"feeding": "Feed", "measurement": "Measurement", "note": "Note", "adverse": "Issue"}


@bp.get("/p/<uuid:plant_uuid>/amend")
def amend_panel(plant_uuid):
    """"Fix a mistake", loaded into the cockpit when scrolled to (or as the cockpit page
    with the panel, without JS): four queries the cockpit itself does not pay for."""
    plant = get_plant(db.session, plant_uuid)
    amend = corrections.amendable(db.session, plant_id=plant.id, actor=current_user)
    if wants_fragment():
        return render_template("floor/_amend.html", amend=amend, p=plant)
    return render_template("floor/plant.html", **cockpit_context(plant_uuid, amend=amend))


def _kind(kind: str) -> str:
    if kind not in corrections.KINDS:
        raise NotFound("Nothing of that kind can be corrected.")
    return kind


def _field(name: str):
    """A form field left out of the correction when the form does not carry it."""
    return request.form.get(name) if name in request.form else UNSET


@bp.post("/p/<uuid:plant_uuid>/amend/<kind>/<int(max=9223372036854775807):record_id>")
def amend(plant_uuid, kind: str, record_id: int):
    form = request.form

    def action():
        plant = get_plant(db.session, plant_uuid)
        common = {"actor": current_user, "reason": form.get("reason", ""),
                  "plant_id": plant.id}
        what = _kind(kind)
        if what == "feeding":
            return corrections.correct_feeding(
                db.session, log_id=record_id, amount_ml=_field("amount"),
                notes=_field("notes"), skip_reason=_field("skip_reason"), **common)
        if what == "measurement":
            values = {k.removeprefix(PREFIX): form.getlist(k)[-1] for k in form
                      if k.startswith(PREFIX)}
            return corrections.correct_measurement(db.session, metric_id=record_id,
                                                   values=values, **common)
        if what == "note":
            return corrections.correct_note(db.session, note_id=record_id,
                                            text=form.get("text", ""), **common)
        return corrections.correct_adverse(
            db.session, adverse_id=record_id, kind=_field("adverse_kind"),
            severity=_field("severity"), notes=_field("notes"), **common)

    return _cockpit_write(plant_uuid, action, lambda _row: f"{WORDS[kind]} corrected.")


@bp.post("/p/<uuid:plant_uuid>/amend/<kind>/<int(max=9223372036854775807):record_id>/void")
def void(plant_uuid, kind: str, record_id: int):
    def action():
        plant = get_plant(db.session, plant_uuid)
        return corrections.void_record(db.session, kind=_kind(kind), record_id=record_id,
                                       actor=current_user, reason=request.form.get("reason", ""),
                                       plant_id=plant.id)

    return _cockpit_write(plant_uuid, action, lambda _row: f"{WORDS.get(kind, 'Entry')} voided.")
