from flask import Blueprint

bp = Blueprint("floor", __name__)

from . import amend, routes  # noqa: E402,F401
