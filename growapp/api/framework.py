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
from ..http.idempotency import run_idempotent
from ..services.errors import Invalid, PreconditionFailed
from . import bp

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


REGISTRY: list[EndpointSpec] = []


def pydantic_errors(exc: ValidationError) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "body"
        msg = err["msg"].removeprefix("Value error, ")
        errors.setdefault(loc, []).append(msg)
    return errors


def _parse_body(model: type[BaseModel]) -> BaseModel:
    raw = request.get_data(cache=True)
    if not raw.strip():
        data = {}
    else:
        if request.mimetype != "application/json":
            raise Invalid("Send JSON with Content-Type: application/json.",
                          {"body": ["Expected application/json."]})
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise Invalid("The request body is not valid JSON.", {"body": [str(exc)]}) from exc
    if not isinstance(data, dict) and not issubclass(model, RootModel):  # a list body
        raise Invalid("The request body must be a JSON object.", {"body": ["Expected an object."]})
    try:
        return model.model_validate(data)
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
    wanted = {t.strip().removeprefix("W/") for t in header.split(",")}
    if etag_for(current_representation) not in wanted:
        raise PreconditionFailed(
            "This resource changed since you read it. Fetch it again and retry.")


def _serialise(result, spec: EndpointSpec):
    if isinstance(result, Response):
        return result
    status = spec.status
    if isinstance(result, tuple):
        result, status = result
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
             multipart: dict | None = None):
    method = method.upper()

    def decorate(fn: Callable):
        spec = EndpointSpec(
            rule=rule, method=method, name=fn.__name__, summary=summary, tag=tag, body=body,
            query=query, response=response,
            status=status or 200, many=many,
            idempotent=idempotent, etag=etag,
            role=role or ("operator" if method in UNSAFE else "viewer"), errors=errors,
            multipart=multipart)
        REGISTRY.append(spec)

        @wraps(fn)
        def view(**kwargs):
            if body is not None:
                kwargs["body"] = _parse_body(body)
            if query is not None:
                kwargs["query"] = _parse_query(query)
            session = db.session

            def call() -> Response:
                return _serialise(fn(session, **kwargs), spec)

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


def whole_list(results: list, **meta) -> dict:
    """The envelope of a list returned in full (no paging)."""
    return envelope(results, count=len(results), limit=len(results), offset=0, **meta)


def openapi_path(rule: str) -> str:
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule)
