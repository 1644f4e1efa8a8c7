"""Feeding queue (one tap per plant or tray, undo), rotation on the tent map, weekly round."""

from __future__ import annotations

from flask import make_response, render_template, request, url_for
from flask_login import current_user

from ...extensions import db
from ...http.htmx import render
from ...http.idempotency import form_key
from ...services import experiments as exp_service
from ...services import feeding as feeding_service
from ...services import observations as obs_service
from ...services.clock import zone_of
from ...services.errors import Invalid
from ...services.metrics import record_metrics, template_fields
from ...services.plants import get_plant
from ...services.read import feeding_queue as queue_read
from ...services.read.overview import tent_map
from ...services.read.readiness import setup_status
from ...services.rotation import rotate_tray, rotation_history
from ...services.tents import list_tents
from ...services.trays import list_trays
from ..feed_again import ask_first, feed_again
from ..forms import int_or_none
from ..writes import FROM_FORM, page_write, respond
from . import bp


def _base(experiment_id: int) -> dict:
    """The experiment and what its context bar needs (not the status summary's counts: they
    walk every plant, and these pages show none of them)."""
    session = db.session
    return {"experiment": exp_service.get_experiment(session, experiment_id),
            "bar_setup": setup_status(session, experiment_id)}


# Feeding ---------------------------------------------------------------------------------

def _feeding_page(experiment_id: int, at: int = 0) -> dict:
    queue = queue_read.feeding_queue(db.session, experiment_id, at=at,
                                     budget=queue_read.QUEUE_BUDGET)
    groups: dict = {}
    for item in queue.due:
        groups.setdefault((item.tent_code, item.tray_code), []).append(item)
    return {"queue": queue, "groups": groups,
            "lots": feeding_service.lots_by_recipe(db.session, experiment_id)}


def _feeding_context(experiment_id: int, at: int = 0, **extra) -> dict:
    """After a write the queue starts again at its top: fed plants leave it, so the next
    due plants are there."""
    return {**_base(experiment_id), **_feeding_page(experiment_id, at), **extra}


def _at() -> int:
    return min(max(request.args.get("at", 0, type=int), 0), 10**6)


@bp.get("/feeding")
def feeding(experiment_id: int):
    """The queue's first page of trays; the rest load as the operator scrolls."""
    return render_template("rounds/feeding.html", **_feeding_context(experiment_id, _at()))


@bp.get("/feeding/more")
def feeding_more(experiment_id: int):
    """The next page of trays for the sentinel at the end of the previous one."""
    return render_template("rounds/_feeding_page.html", experiment=exp_service.get_experiment(
        db.session, experiment_id), **_feeding_page(experiment_id, _at()))


def _feeding_write(experiment_id: int, action, message, key=FROM_FORM):
    def done(result):
        logs = result if isinstance(result, list) else [result]
        text = message(logs)
        return respond(fragment="rounds/_feeding_queue.html", flash_message=text,
                       redirect_to=url_for("rounds.feeding", experiment_id=experiment_id),
                       toast=text, undo_ids=[lg.id for lg in logs],
                       **_feeding_context(experiment_id))

    return page_write(action, done=done, key=key, problem=lambda exc: render(
        "rounds/feeding.html", "rounds/_feeding_queue.html",
        **_feeding_context(experiment_id, problem=exc.detail,
                           again=feed_again(exc, "#feeding-queue"))))


@bp.post("/feeding/plants/<uuid:plant_uuid>")
def feed_plant(experiment_id: int, plant_uuid):
    """One plant fed, or skipped with a reason (``status=skipped``)."""
    form = request.form
    status = form.get("status") or "fed"
    return _feeding_write(experiment_id, lambda: feeding_service.log_feeding(
        db.session, plant_uuid=plant_uuid, actor=current_user, status=status,
        reason=form.get("reason"), lot_id=int_or_none(form.get("lot_id")),
        ask_if_recent=ask_first()),
        lambda logs: ("Fed " if status == "fed" else "Skipped ")
        + f"{get_plant(db.session, plant_uuid).plant_code}"
        + (f": {logs[0].reason}" if status != "fed" else "") + ".")


@bp.post("/feeding/plants")
def feed_listed_plant(experiment_id: int):
    """The queue's per-tray form: the tapped button carries the plant (or the tray, for
    "Feed tray"), the form the lot. One key per rendered form, made per plant, so a double
    tap logs once and the next plant still logs."""
    plant_uuid = request.form.get("plant_uuid") or ""
    tray_id = int_or_none(request.form.get("tray_id")) if not plant_uuid else None
    lot_id = int_or_none(request.form.get("lot_id"))
    which = plant_uuid or f"tray-{tray_id}"
    key = f"{form_key()}:{which}" if form_key() else None

    def action():
        if tray_id is not None:
            return feeding_service.feed_tray(db.session, tray_id=tray_id, actor=current_user,
                                             lot_id=lot_id, ask_if_recent=ask_first())
        if not plant_uuid:
            raise Invalid("Tap a plant to feed.", {"plant_uuid": ["Choose a plant."]})
        return feeding_service.log_feeding(db.session, plant_uuid=plant_uuid,
                                           actor=current_user, lot_id=lot_id,
                                           ask_if_recent=ask_first())

    def message(logs):
        if tray_id is not None:
            return f"Fed {len(logs)} plants."
        return f"Fed {get_plant(db.session, plant_uuid).plant_code}."

    return _feeding_write(experiment_id, action, message, key=key)


@bp.post("/feeding/trays/<int:tray_id>")
def feed_tray(experiment_id: int, tray_id: int):
    return _feeding_write(experiment_id, lambda: feeding_service.feed_tray(
        db.session, tray_id=tray_id, actor=current_user,
        lot_id=int_or_none(request.form.get("lot_id")), ask_if_recent=ask_first()),
        lambda logs: f"Fed {len(logs)} plants.")


# Rotation --------------------------------------------------------------------------------

def _rotation_context(experiment_id: int, *, armed: bool = True, **extra) -> dict:
    """``armed=False`` after a move: the tray just moved is no longer picked."""
    session = db.session
    tents, trays = list_tents(session, experiment_id), list_trays(session, experiment_id)
    picked = int_or_none(request.values.get("tray")) if armed else None
    return {**_base(experiment_id), "tent_map": tent_map(tents, trays),
            "trays": [r for r in trays if r.slot], "picked": next(
                (r for r in trays if r.tray.id == picked), None),
            "history": rotation_history(session, experiment_id=experiment_id, limit=20), **extra}


@bp.get("/rotation")
def rotation(experiment_id: int):
    return render("rounds/rotation.html", "rounds/_rotation.html",
                  **_rotation_context(experiment_id))


@bp.post("/rotation")
def rotate(experiment_id: int):
    form = request.form

    def action():
        tray_id = int_or_none(form.get("tray"))
        if tray_id is None:
            raise Invalid("Pick a tray first.", {"tray": ["Pick a tray on the map."]})
        # The map offers occupied slots only as "swap", so a tap on one means swap.
        return rotate_tray(db.session, tray_id=tray_id,
                           to_slot_id=int_or_none(form.get("to_slot_id")), swap=True,
                           note=form.get("note", ""), actor=current_user)

    def done(logs):
        text = "Swapped." if len(logs) > 1 else "Moved."
        here = url_for("rounds.rotation", experiment_id=experiment_id)
        resp = make_response(respond(fragment="rounds/_rotation.html", flash_message=text,
                                     redirect_to=here,
                                     **_rotation_context(experiment_id, armed=False,
                                                         message=text)))
        resp.headers["HX-Replace-Url"] = here  # not ?tray=…: a reload must not re-arm it
        return resp

    return page_write(action, done=done, problem=lambda exc: render(
        "rounds/rotation.html", "rounds/_rotation.html",
        **_rotation_context(experiment_id, problem=exc.detail)))


# Weekly round ----------------------------------------------------------------------------

def _observe_context(experiment_id: int, week: int | None = None, plant_uuid=None,
                     after: str | None = None, **extra) -> dict:
    """``after``: the code of the plant just measured; the round goes on from it."""
    session = db.session
    base = _base(experiment_id)
    exp = base["experiment"]
    week = week if week is not None else int_or_none(request.values.get("week"))
    now_week = obs_service.current_week(exp, tz=zone_of(session))
    if week is None or week < 1:
        week = max(now_week, 1)
    queue = obs_service.observe_queue(session, experiment_id, week, limit=1, after=after)
    plant = None
    if plant_uuid:
        plant = get_plant(session, plant_uuid)
        if plant.experiment_id != exp.id or plant.status != "active":
            plant = None
    plant = plant or (queue.plants[0] if queue.plants else None)
    return {**base, "week": week, "queue": queue, "plant": plant,
            "fields": template_fields(session, plant.species.category) if plant else [],
            "previous": obs_service.previous_measurement(session, plant.id, week)
            if plant else None,
            "values": {}, "errors": {}, "current_week": now_week,
            **extra}


@bp.get("/observe")
def observe(experiment_id: int):
    return render_template("rounds/observe.html", **_observe_context(
        experiment_id, plant_uuid=request.args.get("plant"),
        after=request.args.get("after") or None))


@bp.post("/observe/<int:week>/<uuid:plant_uuid>")
def observe_save(experiment_id: int, week: int, plant_uuid):
    values = {k.removeprefix("m_"): request.form.getlist(k)[-1] for k in request.form
              if k.startswith("m_")}

    def action():
        plant = get_plant(db.session, plant_uuid)
        record_metrics(db.session, plant_uuid=plant_uuid, week_number=week, values=values,
                       actor=current_user)
        return plant

    def done(plant):
        text = f"Saved week {week} of {plant.plant_code}."
        return respond(fragment="rounds/_observe.html", flash_message=text,
                       redirect_to=url_for("rounds.observe", experiment_id=experiment_id,
                                           week=week, after=plant.plant_code),
                       **_observe_context(experiment_id, week, after=plant.plant_code,
                                          message=text))

    return page_write(action, done=done, problem=lambda exc: render(
        "rounds/observe.html", "rounds/_observe.html",
        **_observe_context(experiment_id, week, plant_uuid, values=values,
                           errors=getattr(exc, "errors", {}), problem=exc.detail)))
