"""Static files under content-hashed names with a year-long immutable cache.

At start-up every file under static/ is hashed once (``css/app.css`` →
``css/app.3f2a9c1d0b.css``); ``url_for('static', filename=...)`` hands out the hashed name
(a ``url_defaults`` hook, so templates do not change), and the static view serves it with
``Cache-Control: public, max-age=31536000, immutable``. A returning phone downloads no CSS or
JS until a file changes, and then only that file. Plain names still work (``no-cache``) for
anything that asks for them by hand.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask, abort, current_app, send_from_directory

IMMUTABLE = "public, max-age=31536000, immutable"
HASH_LEN = 10


@dataclass
class StaticManifest:
    hashed: dict[str, str] = field(default_factory=dict)  # plain → hashed
    plain: dict[str, str] = field(default_factory=dict)  # hashed → plain
    version: str = ""  # one hash over every file: the service worker's cache name

    def url_for(self, filename: str) -> str:
        return self.hashed.get(filename, filename)


def hashed_name(relpath: str, digest: str) -> str:
    stem, dot, ext = relpath.rpartition(".")
    return f"{stem}.{digest}.{ext}" if dot and "/" not in ext else f"{relpath}.{digest}"


def build_manifest(folder: str | os.PathLike) -> StaticManifest:
    root = Path(folder)
    manifest = StaticManifest()
    overall = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root).as_posix()
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:HASH_LEN]
        name = hashed_name(rel, digest)
        manifest.hashed[rel] = name
        manifest.plain[name] = rel
        overall.update(f"{rel}:{digest}\n".encode())
    manifest.version = overall.hexdigest()[:HASH_LEN]
    return manifest


def static_manifest() -> StaticManifest:
    return current_app.extensions["growapp_static"]


def _serve(filename: str):
    manifest = static_manifest()
    plain = manifest.plain.get(filename)
    folder = current_app.static_folder
    if plain is not None:
        resp = send_from_directory(folder, plain, max_age=31536000)
        resp.headers["Cache-Control"] = IMMUTABLE
    else:
        if filename not in manifest.hashed:
            abort(404)
        plain = filename
        resp = send_from_directory(folder, plain, max_age=0)
        resp.headers["Cache-Control"] = "no-cache"
    resp.growapp_static_path = os.path.join(folder, plain)  # compression.py caches by it
    return resp


def init_app(app: Flask) -> None:
    manifest = build_manifest(app.static_folder)
    app.extensions["growapp_static"] = manifest

    @app.url_defaults
    def hashed_static(endpoint, values):
        if endpoint == "static" and "filename" in values:
            values["filename"] = manifest.url_for(values["filename"])

    app.view_functions["static"] = _serve
