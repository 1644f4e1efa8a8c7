from flask import Blueprint

bp = Blueprint("trays", __name__, url_prefix="/experiments/<int:experiment_id>/trays")

from . import routes  # noqa: E402,F401
