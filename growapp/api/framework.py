"""How every API endpoint is declared: parsing, commit, ETag, idempotency, OpenAPI.

``@endpoint`` registers the route on the blueprint and records it for openapi.json, so
the document is generated from the same pydantic schemas that validate requests.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from flask import Response, jsonify, request
from pydantic import BaseModel, RootModel, ValidationError

from ..extensions import db
from ..http.access import admin_only, viewer_may_write
from ..http.compression import representation_tag
from ..http.idempotency import run_idempotent
from ..http.inputs import parse_json, request_body
from ..services.audit import lock_chain
from ..services.errors import Invalid, PreconditionFailed
from . import bp
from .schemas import WholePage

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


@dataclass
class EndpointSpec:
    rule: str
    method: str
    name: str
    summary: str
    tag: str
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    many: bool = False
    idempotent: bool = False
    etag: bool = False
    role: str = "viewer"
    errors: tuple[int, ...] = ()
    multipart: dict | None = None  # JSON Schema of a multipart/form-data body
    also: tuple[int, ...] = ()  # other success statuses with the same body
    schema: dict | None = None  # the success body's JSON Schema, when not response/many
    produces: str = "application/json"  # the success body's media type (a PDF, a CSV)


REGISTRY: list[EndpointSpec] = []


def pydantic_errors(exc: ValidationError) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "body"
        msg = err["msg"].removeprefix("Value error, ")
        errors.setdefault(loc, []).append(msg)
    return errors


def _parse_body(model: type[BaseModel]) -> BaseModel:
    raw = request_body()
    if not raw.strip():
        data = {}
    else:
        if request.mimetype != "application/json":
            raise Invalid("Send JSON with Content-Type: application/json.",
                          {"body": ["Expected application/json."]})
        data = parse_json(raw)  # the guards: depth, integer range, NaN
    if not isinstance(data, dict) and not issubclass(model, RootModel):  # a list body
        raise Invalid("The request body must be a JSON object.", {"body": ["Expected an object."]})
    try:
        # Strict JSON validation: what the document says is what passes — no false for a
        # number, 0 for false or "3" for 3 (JSON strings still give dates, times, uuids).
        if raw.strip():
            return model.model_validate_json(raw, strict=True)
        return model.model_validate(data, strict=True)
    except ValidationError as exc:
        raise Invalid(errors=pydantic_errors(exc)) from exc


def _parse_query(model: type[BaseModel]) -> BaseModel:
    data = {k: v for k, v in request.args.items()}
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise Invalid("Check the query parameters.", pydantic_errors(exc)) from exc


def etag_for(payload) -> str:
    digest = hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode())
    return f'"{digest.hexdigest()[:32]}"'


def require_fresh(current_representation: dict) -> None:
    """Honour If-Match on writes: 412 when the client's copy is stale."""
    header = request.headers.get("If-Match")
    if not header or header.strip() == "*":
        return
    # A compressed GET answered "<tag>-br" (http/compression.py): the same representation.
    wanted = {representation_tag(t) for t in header.split(",")}
    if etag_for(current_representation) not in wanted:
        raise PreconditionFailed(
            "This resource changed since you read it. Fetch it again and retry.")


class WholeList(dict):
    """A list envelope built from the whole list; the framework pages it (limit/offset)."""


def _page(result: WholeList, page) -> dict:
    results = result["results"]
    if page is None:
        return dict(result)
    offset = min(page.offset, len(results))
    limit = page.limit if page.limit is not None else len(results)
    return {"count": len(results), "results": results[offset:offset + limit],
            "meta": {**result["meta"], "limit": limit, "offset": page.offset}}


def _serialise(result, spec: EndpointSpec, page=None):
    if isinstance(result, Response):
        if result.status_code == 204:  # no body, so no Content-Type either
            result.headers.pop("Content-Type", None)
        return result
    status = spec.status
    if isinstance(result, tuple):
        result, status = result
    if isinstance(result, WholeList):
        result = _page(result, page)
    if isinstance(result, BaseModel):
        result = result.model_dump(mode="json")
    resp = jsonify(result)
    resp.status_code = status
    if spec.etag and request.method == "GET" and status == 200:
        resp.set_etag(etag_for(result).strip('"'))
        resp.make_conditional(request)
    return resp


def endpoint(rule: str, method: str, *, summary: str, tag: str,
             body: type[BaseModel] | None = None, query: type[BaseModel] | None = None,
             response: type[BaseModel] | None = None, status: int | None = None,
             many: bool = False, idempotent: bool = False, etag: bool = False,
             role: str | None = None, errors: tuple[int, ...] = (),
             multipart: dict | None = None, also: tuple[int, ...] = (),
             schema: dict | None = None, produces: str = "application/json"):
    method = method.upper()
    # Every list answers limit/offset (API.md): a query without them gains WholePage's.
    pass_query = query is not None
    if method == "GET" and (many or schema is not None):
        if query is None:
            query = WholePage
        elif "limit" not in query.model_fields:
            query = type(query.__name__ + "Paged", (query, WholePage), {})

    def decorate(fn: Callable):
        spec = EndpointSpec(
            rule=rule, method=method, name=fn.__name__, summary=summary, tag=tag, body=body,
            query=query, response=response,
            status=status or 200, many=many,
            idempotent=idempotent, etag=etag,
            role=role or ("operator" if method in UNSAFE else "viewer"), errors=errors,
            multipart=multipart, also=also, schema=schema,
            produces=produces)
        REGISTRY.append(spec)

        @wraps(fn)
        def view(**kwargs):
            if body is not None:
                kwargs["body"] = _parse_body(body)
            page = None
            if query is not None:
                page = _parse_query(query)
                if pass_query:
                    kwargs["query"] = page
            session = db.session
            if method in UNSAFE and request.headers.get("If-Match"):
                # Compare and write under the writers' lock, reading fresh rows: otherwise
                # two requests with the same ETag both see the old version and both win.
                lock_chain(session)
                session.expire_all()

            def call() -> Response:
                return _serialise(fn(session, **kwargs), spec, page)

            if method not in UNSAFE:
                return call()
            key = request.headers.get("Idempotency-Key") if idempotent else None
            resp = run_idempotent(key, call)
            session.commit()  # the one commit of every API write
            return resp

        if spec.role == "admin":  # the gate enforces the declared role, as for pages
            admin_only(view)
        elif spec.role == "viewer" and method in UNSAFE:
            viewer_may_write(view)
        bp.add_url_rule(rule, endpoint=fn.__name__, view_func=view, methods=[method])
        return view

    return decorate


def envelope(results: list, *, count: int, limit: int, offset: int, **meta) -> dict:
    return {"count": count, "results": results,
            "meta": {"limit": limit, "offset": offset, **meta}}


def whole_list(results: list, **meta) -> WholeList:
    """The envelope of the whole list; the request's limit/offset page it."""
    return WholeList(envelope(results, count=len(results), limit=len(results), offset=0,
                              **meta))


def openapi_path(rule: str) -> str:
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule)
