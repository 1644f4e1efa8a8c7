"""Experiment-wide queues for the tent floor: feeding, rotation, the weekly round."""

from flask import Blueprint

bp = Blueprint("rounds", __name__, url_prefix="/experiments/<int:experiment_id>")

from . import imports, routes  # noqa: E402,F401
