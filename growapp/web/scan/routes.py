"""/scan opens what a label names; scan to feed logs a feeding per scanned label.

Both read the scanned text on the server (services/scan.py), so the camera, a hardware
scanner typing into the focused input and a plain form without JS behave the same.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user

from ...extensions import db
from ...http.htmx import render
from ...services import experiments as exp_service
from ...services import scan as scan_service
from ...services.errors import DomainError, NotFound
from ...services.read.feeding_queue import feeding_queue
from ...services.read.find import find_by_code
from ...services.read.readiness import setup_status
from ...services.recipes import list_lots
from ..forms import int_or_none
from ..writes import page_write, respond
from . import bp

REMEMBER = "scan_from"  # Flask session: what the user opened last (see remember_experiment)
BACK_TO_SCAN = "/scan"


@bp.before_app_request
def remember_experiment():
    """Remember the experiment whose pages (or a plant's or tray's page) the user opened
    last, so a typed plant code resolves there. A cockpit stores its plant's uuid, looked
    up only when a code is scanned, so the floor pages pay no query for this."""
    if request.method != "GET" or request.blueprint in (None, "api", "static"):
        return
    args = request.view_args or {}
    if isinstance(args.get("experiment_id"), int):
        value = {"experiment": args["experiment_id"]}
    elif request.endpoint == "floor.plant":
        value = {"plant": str(args["plant_uuid"])}
    elif request.endpoint == "floor.tray":
        value = {"tray": str(args["tray_uuid"])}
    else:
        return
    if current_user.is_authenticated and session.get(REMEMBER) != value:
        session[REMEMBER] = value


def _last_experiment_id() -> int | None:
    return scan_service.remembered_experiment(db.session, session.get(REMEMBER))


@bp.get("/scan")
def scan():
    """The scanner page; ``?q=`` (typed, scanned or decoded by the camera) opens the plant
    or tray, lists the plants when a code is in several experiments, or says why not."""
    q = request.args.get("q", "")
    if not q.strip():
        return render_template("scan/scan.html", q="", problem=None, matches=None,
                               results=None)
    try:
        found = scan_service.resolve_scan(db.session, text=q,
                                          last_experiment_id=_last_experiment_id())
    except DomainError as exc:
        results = None
        if isinstance(exc, NotFound) and "/" not in q:  # a code: offer what contains it
            results = find_by_code(db.session, q)
        return render_template("scan/scan.html", q=q, problem=exc.detail, matches=None,
                               results=results, status=exc.status), exc.status
    if found.kind == "choose":
        return render_template("scan/scan.html", q=q, problem=None, matches=found.matches,
                               results=None)
    session[REMEMBER] = {"experiment": found.experiment.id}
    if found.also_in:
        others = ", ".join(e.name for e in found.also_in)
        flash(f"{found.plant.plant_code} of {found.experiment.name}. {others} "
              f"{'has' if len(found.also_in) == 1 else 'have'} a {found.plant.plant_code} "
              "too: search for the code to open it.", "info")
    if found.kind == "plant":
        target = url_for("floor.plant", plant_uuid=found.plant.uuid, **{"from": BACK_TO_SCAN})
    else:
        target = url_for("floor.tray", tray_uuid=found.tray.uuid, **{"from": BACK_TO_SCAN})
    return redirect(target, code=303)


# Scan to feed ----------------------------------------------------------------------------

def _feed_mode_context(experiment_id: int) -> dict:
    s = db.session
    queue = feeding_queue(s, experiment_id)
    groups: dict = {}
    for item in queue.due:
        groups.setdefault((item.tent_code, item.tray_code), []).append(item)
    lots: dict = {}
    for lot in list_lots(s, experiment_id):  # newest first: the default of each recipe
        lots.setdefault(lot.recipe, []).append(lot)
    return {"experiment": exp_service.get_experiment(s, experiment_id),
            "bar_setup": setup_status(s, experiment_id), "queue": queue, "groups": groups,
            "lots_by_recipe": sorted(lots.items(), key=lambda kv: kv[0].code)}


@bp.get("/experiments/<int:experiment_id>/feeding/scan")
def feed_mode(experiment_id: int):
    """The feeding queue in scan mode: each scanned label logs a feeding."""
    return render_template("scan/feed.html", **_feed_mode_context(experiment_id))


@bp.post("/experiments/<int:experiment_id>/feeding/scan")
def feed(experiment_id: int):
    """One scanned label: feed the plant, or the whole tray. The phone makes the
    idempotency key per scan, so a retry of the same scan logs once."""
    text = request.form.get("code", "")
    lot_ids = [int_or_none(v) for v in request.form.getlist("lot_id")]
    back = url_for("scan.feed_mode", experiment_id=experiment_id)

    def done(result: scan_service.ScanFeed):
        return respond(fragment="scan/_feed_line.html", redirect_to=back,
                       flash_message=result.summary, ok=True, text=result.summary,
                       label=result.label, name=result.name)

    def problem(exc: DomainError):
        return render("scan/feed.html", "scan/_feed_line.html", ok=False, text=exc.detail,
                      label="", name="", problem=exc.detail, **_feed_mode_context(experiment_id))[0]

    return page_write(lambda: scan_service.feed_scanned(
        db.session, experiment_id=experiment_id, text=text, lot_ids=lot_ids,
        actor=current_user), done=done, problem=problem)
