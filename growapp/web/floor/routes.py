"""What a QR label opens: the plant page (/p/<uuid>) and the tray page (/t/<uuid>)."""

from __future__ import annotations

from flask import render_template, request, url_for

from ...extensions import db
from ...services.floor import plant_view, tray_view
from ..htmx import safe_next
from . import bp


@bp.get("/p/<uuid:plant_uuid>")
def plant(plant_uuid):
    view = plant_view(db.session, plant_uuid)
    back = safe_next(request.args.get("from"),
                     url_for("experiments.overview", experiment_id=view.experiment.id))
    return render_template("floor/plant.html", view=view, back=back)


@bp.get("/t/<uuid:tray_uuid>")
def tray(tray_uuid):
    view = tray_view(db.session, tray_uuid)
    back = safe_next(request.args.get("from"),
                     url_for("experiments.overview", experiment_id=view.experiment.id))
    return render_template("floor/tray.html", view=view, back=back)
