"""Compress text responses: brotli where the client accepts it, else gzip (docs/decisions.md).

A small ``after_request`` hook rather than Flask-Compress, for two reasons measured or read
here: it keeps the API's ETags comparable (a compressed JSON body gets ``"<tag>-br"``, and
``representation_tag`` strips that suffix back for If-Match), and it compresses static files
once per file (brotli at its best level, kept in memory) instead of on every request.

Pages carry the CSRF token next to reflected input (a search box echoing ``q``): BREACH. The
token is masked with a fresh random pad in every response (growapp/http/csrf_mask.py), so
compression reveals nothing about it.
"""

from __future__ import annotations

import gzip
from functools import lru_cache

import brotli
from flask import Flask, Response, request

COMPRESSIBLE = frozenset({
    "text/html", "text/css", "text/plain", "text/csv", "text/javascript",
    "application/javascript", "application/json", "application/problem+json",
    "application/manifest+json", "image/svg+xml",
})
MIN_BYTES = 500
DYNAMIC_BROTLI_QUALITY = 4  # ~1 ms for 100 KB of HTML; 11 is ~100× slower for ~10 % less
DYNAMIC_GZIP_LEVEL = 6
ENCODING_SUFFIXES = ("-br", "-gzip")


def representation_tag(tag: str) -> str:
    """The ETag of the uncompressed representation (``"abc-br"`` → ``"abc"``)."""
    tag = tag.strip().removeprefix("W/")
    for suffix in ENCODING_SUFFIXES:
        if tag.endswith(f'{suffix}"'):
            return tag[: -len(suffix) - 1] + '"'
    return tag


def choose_encoding(accept_encoding: str) -> str | None:
    """'br', 'gzip' or None from an Accept-Encoding header (q=0 refuses)."""
    accepted = {}
    for part in accept_encoding.lower().split(","):
        name, _, params = part.strip().partition(";")
        q = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                q = float(params[2:])
            except ValueError:
                q = 0.0
        accepted[name.strip()] = q
    for name in ("br", "gzip"):
        if accepted.get(name, accepted.get("*", 0.0)) > 0:
            return name
    return None


def _compress(data: bytes, encoding: str, *, best: bool = False) -> bytes:
    if encoding == "br":
        return brotli.compress(data, quality=11 if best else DYNAMIC_BROTLI_QUALITY)
    return gzip.compress(data, compresslevel=9 if best else DYNAMIC_GZIP_LEVEL, mtime=0)


@lru_cache(maxsize=256)
def _static_compressed(path: str, etag: str, encoding: str) -> bytes:
    """A static file compressed once at the best level (keyed by its ETag: a changed file,
    a new entry)."""
    with open(path, "rb") as fh:
        return _compress(fh.read(), encoding, best=True)


def _add_vary(resp: Response) -> None:
    if "accept-encoding" not in resp.headers.get("Vary", "").lower():
        resp.vary.add("Accept-Encoding")


def compress_response(resp: Response) -> Response:
    if resp.status_code != 200 or "Content-Encoding" in resp.headers:
        return resp
    if resp.mimetype not in COMPRESSIBLE or request.method == "HEAD":
        return resp
    _add_vary(resp)
    encoding = choose_encoding(request.headers.get("Accept-Encoding", ""))
    if encoding is None:
        return resp
    static_path = getattr(resp, "growapp_static_path", None)
    if static_path is not None:
        etag, _weak = resp.get_etag()
        body = _static_compressed(static_path, etag or "", encoding)
        resp.direct_passthrough = False
    else:
        if resp.is_streamed or resp.direct_passthrough:
            return resp
        data = resp.get_data()
        if len(data) < MIN_BYTES:
            return resp
        body = _compress(data, encoding)
    etag, weak = resp.get_etag()
    resp.set_data(body)
    resp.headers["Content-Encoding"] = encoding
    if etag:
        tagged = f"{etag}-{encoding}"
        resp.set_etag(tagged, weak=weak)
        if request.if_none_match and request.if_none_match.contains_weak(tagged):
            not_modified = Response(status=304, headers={
                k: v for k, v in resp.headers.items()
                if k.lower() in ("etag", "vary", "cache-control", "expires", "date")})
            return not_modified
    return resp


def init_app(app: Flask) -> None:
    if not app.config.get("COMPRESS_RESPONSES", True):
        return
    app.after_request(compress_response)
