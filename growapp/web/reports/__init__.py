from flask import Blueprint

bp = Blueprint("reports", __name__, url_prefix="/experiments/<int:experiment_id>")

from . import routes  # noqa: E402,F401
