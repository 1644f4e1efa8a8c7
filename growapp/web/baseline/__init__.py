from flask import Blueprint

bp = Blueprint("baseline", __name__, url_prefix="/experiments/<int:experiment_id>/baseline")

from . import routes  # noqa: E402,F401
