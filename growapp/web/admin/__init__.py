from flask import Blueprint, abort
from flask_login import current_user

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
def _admins_only():
    if current_user.is_authenticated and not current_user.has_role("admin"):
        abort(403)


from . import routes, species  # noqa: E402,F401
