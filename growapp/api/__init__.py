"""The JSON API (/api/v1): a thin layer over the same services as the pages."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from . import (  # noqa: E402,F401
    corrections,
    environment,
    environment_setup,
    experiments,
    floor,
    jobs,
    labels,
    layout,
    measurements,
    openapi,
    photos,
    placement,
    plants,
    recipes,
    reference,
    reports,
    schedules,
)
