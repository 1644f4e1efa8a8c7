"""Route markers read by the one access gate in http/gate.py.

Every route is private, written by operators or admins only, unless marked here.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app, request


def public(view: Callable) -> Callable:
    """No sign-in needed (login, invite acceptance, health checks)."""
    view.growapp_public = True
    return view


def viewer_may_write(view: Callable) -> Callable:
    """A viewer may POST here (their own profile, password, API tokens, sign-out)."""
    view.growapp_viewer_write = True
    return view


def admin_only(view: Callable) -> Callable:
    view.growapp_admin = True
    return view


def current_view_flag(flag: str) -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    return bool(view is not None and getattr(view, flag, False))
