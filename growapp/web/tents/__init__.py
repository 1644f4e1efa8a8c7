from flask import Blueprint

bp = Blueprint("tents", __name__, url_prefix="/experiments/<int:experiment_id>/tents")

from . import routes  # noqa: E402,F401
