"""Scanning inside the app: /scan (camera, hardware scanners, typed codes) and scan to feed
in the feeding queue."""

from flask import Blueprint

bp = Blueprint("scan", __name__)

from . import routes  # noqa: E402,F401
