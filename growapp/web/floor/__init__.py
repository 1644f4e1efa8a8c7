from flask import Blueprint

bp = Blueprint("floor", __name__)

from . import routes  # noqa: E402,F401
