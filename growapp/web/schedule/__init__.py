from flask import Blueprint

bp = Blueprint("schedule", __name__, url_prefix="/experiments/<int:experiment_id>/schedule")

from . import routes  # noqa: E402,F401
