from flask import Blueprint

bp = Blueprint("environment", __name__,
               url_prefix="/experiments/<int:experiment_id>/tents/<int:tent_id>/environment")


@bp.record_once
def _globals(state) -> None:
    from .badges import tent_alerts

    state.app.jinja_env.globals["tent_alerts"] = tent_alerts


from . import imports, routes, setup  # noqa: E402,F401
