from flask import Blueprint

bp = Blueprint("recipes", __name__, url_prefix="/experiments/<int:experiment_id>")

from . import routes  # noqa: E402,F401
