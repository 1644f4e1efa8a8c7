"""What the phone needs to work through a bad connection: the outbox's session check (a
fresh CSRF token before replaying, and who is signed in), the service worker served from
the root scope, and the web app manifest.

A tap sent from the outbox names the user who made it (``X-Outbox-User``); when someone
else is signed in now it is refused with 409 and ``Outbox-Wrong-User`` so the phone keeps
it for its owner instead of logging it as the wrong person.
"""

from __future__ import annotations

import json
import os
import re

from flask import Response, current_app, jsonify, request, url_for
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from ...http.access import public
from ...http.static_assets import static_manifest
from ..templating import HTMX_VERSION
from . import bp

OUTBOX_USER_HEADER = "X-Outbox-User"


@bp.before_app_request
def _refuse_taps_of_another_user():
    """Runs after the access gate (registered later), so ``current_user`` is known."""
    claimed = request.headers.get(OUTBOX_USER_HEADER)
    if claimed is None or request.method not in ("POST", "PUT", "PATCH", "DELETE"):
        return None
    if current_user.is_authenticated and claimed.strip() == str(current_user.id):
        return None
    resp = jsonify(detail="This tap was made by another user; it waits for them to sign in.")
    resp.status_code = 409
    resp.headers["Outbox-Wrong-User"] = "true"
    return resp


@bp.get("/offline/session")
def session_info():
    """Who is signed in, a fresh CSRF token and the upload limit (the outbox asks before
    each replay: a tap queued for hours still carries a valid token)."""
    resp = jsonify(user_id=current_user.id, csrf_token=generate_csrf(),
                   max_upload_bytes=current_app.config["MAX_CONTENT_LENGTH"])
    resp.headers["Cache-Control"] = "no-store"
    return resp


PRECACHE = ("css/app.css", "js/app.js", "js/outbox.js", f"vendor/htmx-{HTMX_VERSION}.min.js",
            "icons/leaf.svg", "icons/app.svg")


def _worker_script() -> str:
    """static/js/sw.js with this build's hashed static URLs (they change with the files, so
    the browser sees a new worker when an asset changes)."""
    manifest = static_manifest()
    build = {"version": manifest.version,
             "precache": [url_for("static", filename=name) for name in PRECACHE]}
    with open(os.path.join(current_app.static_folder, "js", "sw.js"), encoding="utf-8") as fh:
        source = fh.read()
    return re.sub(r"^var BUILD = .*$", lambda _m: f"var BUILD = {json.dumps(build)};",
                  source, count=1, flags=re.MULTILINE)


@bp.get("/sw.js")
@public
def service_worker():
    """The worker script, served from the root so its scope covers every page. Public: the
    browser re-fetches it to check for updates, signed in or not; it holds no data."""
    resp = Response(_worker_script(), mimetype="text/javascript")
    resp.headers["Service-Worker-Allowed"] = "/"
    resp.headers["Cache-Control"] = "no-cache"
    return resp


@bp.get("/manifest.webmanifest")
@public
def manifest():
    """Public: browsers fetch manifests without cookies."""
    def icon(name, size, kind, purpose="any"):
        return {"src": url_for("static", filename=f"icons/{name}"), "sizes": size,
                "type": kind, "purpose": purpose}

    resp = jsonify(
        name="growapp", short_name="growapp", description="Plant trials on the tent floor",
        id="/", start_url=url_for("experiments.index"), scope="/", display="standalone",
        orientation="portrait", background_color="#f6f7f4", theme_color="#2f7d46",
        icons=[icon("app-192.png", "192x192", "image/png"),
               icon("app-512.png", "512x512", "image/png"),
               icon("app-maskable-512.png", "512x512", "image/png", "maskable"),
               icon("app.svg", "any", "image/svg+xml")])
    resp.mimetype = "application/manifest+json"
    resp.headers["Cache-Control"] = "no-cache"
    return resp
