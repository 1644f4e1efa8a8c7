from flask import Blueprint

bp = Blueprint("environment", __name__,
               url_prefix="/experiments/<int:experiment_id>/tents/<int:tent_id>/environment")

from . import routes  # noqa: E402,F401
