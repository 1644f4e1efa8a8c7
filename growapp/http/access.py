"""Route markers read by the one access gate in http/gate.py.

Every route is private, written by operators or admins only, unless marked here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import current_app, request

T = TypeVar("T")


def public(view: Callable) -> Callable:
    """No sign-in needed (login, invite acceptance, health checks)."""
    view.growapp_public = True
    return view


def viewer_may_write(view: Callable) -> Callable:
    """A viewer may POST here (their own profile, password, API tokens, sign-out)."""
    view.growapp_viewer_write = True
    return view


def admin_only(target: T) -> T:
    """Admins only: one view, or every view of a blueprint (``admin_only(bp)``). The API
    marks its ``role="admin"`` endpoints with it too, so one gate enforces both."""
    target.growapp_admin = True
    return target


def current_view_flag(flag: str) -> bool:
    """Whether the view answering this request, or a blueprint it belongs to, is marked."""
    view = current_app.view_functions.get(request.endpoint or "")
    if view is not None and getattr(view, flag, False):
        return True
    return any(getattr(current_app.blueprints.get(name), flag, False)
               for name in request.blueprints)
