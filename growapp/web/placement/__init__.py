from flask import Blueprint

bp = Blueprint("placement", __name__, url_prefix="/experiments/<int:experiment_id>/placement")

from . import routes  # noqa: E402,F401
