from flask import Blueprint

bp = Blueprint("labels", __name__, url_prefix="/experiments/<int:experiment_id>/labels")

from . import routes  # noqa: E402,F401
