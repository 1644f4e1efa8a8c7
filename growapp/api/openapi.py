"""GET /api/v1/openapi.json, generated from the endpoint registry and its schemas."""

from __future__ import annotations

import re

from flask import jsonify
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from ..http.access import public
from . import bp
from .framework import REGISTRY, EndpointSpec, openapi_path
from .schemas import ConflictProblem, Problem, ValidationProblem

REF = "#/components/schemas/{model}"
MAX_ID = 2**31 - 1  # ids are INTEGER columns (32-bit on PostgreSQL)
ERROR_MODELS = {401: Problem, 403: Problem, 404: Problem, 409: ConflictProblem,
                410: Problem, 412: Problem, 413: Problem, 422: ValidationProblem,
                429: Problem, 503: Problem}
ERROR_TEXT = {401: "Not signed in or bad token", 403: "Role not allowed", 404: "Not found",
              409: "Blocked by a rule", 410: "Gone (the file expired)",
              412: "Stale If-Match", 413: "Body too large", 422: "Validation failed",
              429: "Too many at once for you; see Retry-After",
              503: "Busy, or a service it needs (the job queue) is down; see Retry-After "
                   "when given"}
RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before trying again",
                               "schema": {"type": "integer", "minimum": 1}}}


def _ref(model: type[BaseModel]) -> dict:
    return {"$ref": REF.format(model=model.__name__)}


def _parameters(spec: EndpointSpec) -> list[dict]:
    params = []
    for conv, name in re.findall(r"<(?:([a-z]+):)?([a-z_]+)>", spec.rule):
        schema = {"type": "integer", "minimum": 0, "maximum": MAX_ID} if conv == "int" else (
            {"type": "string", "format": "uuid"} if conv == "uuid" else {"type": "string"})
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
    if spec.query is not None:
        schema = spec.query.model_json_schema()
        required = set(schema.get("required", []))
        for name, prop in schema.get("properties", {}).items():
            params.append({"name": name, "in": "query", "required": name in required,
                           "schema": prop})
    if spec.idempotent:
        params.append({"name": "Idempotency-Key", "in": "header", "required": False,
                       "schema": {"type": "string", "maxLength": 128}})
    if spec.method in ("PATCH", "DELETE"):
        params.append({"name": "If-Match", "in": "header", "required": False,
                       "schema": {"type": "string"}})
    return params


def list_schema(item: dict) -> dict:
    """The list envelope of API.md around ``item``."""
    return {"type": "object", "required": ["count", "results", "meta"], "properties": {
        "count": {"type": "integer"}, "results": {"type": "array", "items": item},
        "meta": {"type": "object", "required": ["limit", "offset"], "properties": {
            "limit": {"type": "integer"}, "offset": {"type": "integer"}}}}}


def _success_schema(spec: EndpointSpec) -> dict:
    if spec.schema is not None:
        return spec.schema
    if spec.response is None:
        return {"type": "object"}
    if spec.many:
        return list_schema(_ref(spec.response))
    return _ref(spec.response)


def _success(spec: EndpointSpec) -> dict:
    if spec.status == 204:
        return {"description": "Done; no body"}
    if spec.produces != "application/json":
        return {"description": "Success",
                "content": {spec.produces: {"schema": {"type": "string", "format": "binary"}}}}
    return {"description": "Success",
            "content": {"application/json": {"schema": _success_schema(spec)}}}


def build_document() -> dict:
    models: set[type[BaseModel]] = set(ERROR_MODELS.values())
    for spec in REGISTRY:
        for m in (spec.body, spec.response):
            if m is not None:
                models.add(m)
    _, defs = models_json_schema(
        [(m, "validation") for m in sorted(models, key=lambda m: m.__name__)],
        ref_template=REF)
    paths: dict = {}
    for spec in REGISTRY:
        op: dict = {
            "operationId": spec.name, "summary": spec.summary, "tags": [spec.tag],
            "parameters": _parameters(spec),
            "responses": {str(code): _success(spec) for code in (spec.status, *spec.also)},
            "x-required-role": spec.role,
        }
        if spec.body is not None:
            # An empty body counts as {}: required only when some field is.
            required = bool(spec.body.model_json_schema().get("required"))
            op["requestBody"] = {"required": required, "content": {
                "application/json": {"schema": _ref(spec.body)}}}
        elif spec.multipart is not None:
            op["requestBody"] = {"required": True, "content": {
                "multipart/form-data": {"schema": spec.multipart}}}
        codes = {401, 403, *spec.errors}
        if spec.body is not None or spec.query is not None:
            codes.add(422)
        if spec.body is not None or spec.multipart is not None:
            codes.update((413, 422))
        for code in sorted(codes):
            op["responses"][str(code)] = {
                "description": ERROR_TEXT[code],
                "content": {"application/json": {"schema": _ref(ERROR_MODELS[code])}}}
            if code in (429, 503):
                op["responses"][str(code)]["headers"] = RETRY_AFTER
        paths.setdefault(openapi_path(bp.url_prefix + spec.rule), {})[spec.method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": "growapp API", "version": "1"},
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": defs.get("$defs", {}),
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "session": {"type": "apiKey", "in": "cookie", "name": "session"},
            },
        },
        "security": [{"bearer": []}, {"session": []}],
    }


@bp.get("/openapi.json")
@public
def openapi_json():
    return jsonify(build_document())
