from flask import Blueprint

bp = Blueprint("experiments", __name__)

from . import routes  # noqa: E402,F401
