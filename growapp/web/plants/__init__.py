from flask import Blueprint

bp = Blueprint("plants", __name__, url_prefix="/experiments/<int:experiment_id>/plants")

from . import routes  # noqa: E402,F401
