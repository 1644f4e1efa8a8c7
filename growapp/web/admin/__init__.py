from flask import Blueprint

from ...http.access import admin_only

bp = admin_only(Blueprint("admin", __name__, url_prefix="/admin"))


from . import alerts, routes, species  # noqa: E402,F401
