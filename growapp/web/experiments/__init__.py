from flask import Blueprint

bp = Blueprint("experiments", __name__)

from . import manage, routes  # noqa: E402,F401
