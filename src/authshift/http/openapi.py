"""The admin API's OpenAPI 3.1 document, made whole enough for code generators and schemathesis.

FastAPI's document is the starting point; ``build_openapi`` then fixes what FastAPI leaves out or
gets wrong for this API, in one pass, so each route only declares what is particular to it:

- schemas that pydantic nests under ``$defs`` (the user record's ``Address``, ``Mfa``...) are
  lifted into ``components/schemas`` and every ``#/$defs/...`` reference is rewritten: a
  ``$ref`` must resolve from the document root, and ``#/$defs`` does not exist there;
- every error the API sends is ``application/problem+json`` (RFC 9457, ``http/problems.py``):
  401 and 403 on operations behind the admin key, 404 on operations with a path parameter, 422
  for invalid input (instead of FastAPI's ``HTTPValidationError``, which the API never sends),
  503 everywhere (the server sheds load past ``max_queue_depth``, with ``Retry-After``), and what
  a route lists with ``problems(409, 410, 413)``.

The security scheme itself comes from ``http/deps.py`` (the admin key is an HTTP bearer token).
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

PROBLEM_JSON = "application/problem+json"
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "An error (RFC 9457). ``errors`` lists the fields at fault, by path.",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["path", "message"],
                "properties": {"path": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
    "additionalProperties": True,
}

_DESCRIPTIONS = {
    400: "The body cannot be parsed (not JSON, or not a multipart form)",
    401: "No valid admin API key (``Authorization: Bearer ask_...``)",
    403: "The admin key may not do this",
    404: "No such resource",
    405: "Method not allowed (the ``Allow`` header lists the methods)",
    409: "Conflicts with the current state (a taken identifier, a job in the wrong state)",
    410: "Gone",
    413: "The upload is larger than the configured limit",
    422: "Invalid input; ``errors`` names each field at fault",
    503: "Overloaded or a dependency is down; retry after ``Retry-After`` seconds",
}
_RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before retrying", "schema": {"type": "integer"}}}


def problem_response(status: int) -> dict[str, Any]:
    """The OpenAPI response object of one error status."""
    response: dict[str, Any] = {"description": _DESCRIPTIONS.get(status, "Error"),
                                "content": {PROBLEM_JSON: {"schema": PROBLEM_REF}}}
    if status == 503:
        response["headers"] = _RETRY_AFTER
    return response


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """For a route's ``responses=``: the errors particular to it (409, 410, 413...)."""
    return {status: problem_response(status) for status in statuses}


def _lift_defs(node: Any, found: dict[str, Any]) -> Any:
    """Move every nested ``$defs`` into ``found`` and point the references at components."""
    if isinstance(node, dict):
        for name, schema in (node.pop("$defs", None) or {}).items():
            lifted = _lift_defs(schema, found)
            if name in found and found[name] != lifted:
                raise ValueError(f"two different schemas are both named {name!r}")
            found[name] = lifted
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            node["$ref"] = "#/components/schemas/" + ref.removeprefix("#/$defs/")
        return {key: _lift_defs(value, found) for key, value in node.items()}
    if isinstance(node, list):
        return [_lift_defs(item, found) for item in node]
    return node


def _add_problems(operation: dict[str, Any], path: str) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    statuses = [422, 503]
    if "requestBody" in operation:
        statuses.append(400)  # the body is not JSON (or not a form) at all
    if operation.get("security"):
        statuses += [401, 403]
    if re.search(r"\{[^}]+\}", path):
        statuses.append(404)
    for status in statuses:
        responses[str(status)] = problem_response(status)


def build_openapi(app: FastAPI) -> dict[str, Any]:
    """The document FastAPI generates, with the fixes listed in the module docstring."""
    doc = get_openapi(title=app.title, version=app.version, routes=app.routes, description=app.description)
    components = doc.setdefault("components", {})
    schemas: dict[str, Any] = components.setdefault("schemas", {})
    lifted: dict[str, Any] = {}
    doc["paths"] = _lift_defs(doc.get("paths", {}), lifted)
    components["schemas"] = _lift_defs(schemas, lifted)
    for name, schema in lifted.items():
        if name in components["schemas"] and components["schemas"][name] != schema:
            raise ValueError(f"two different schemas are both named {name!r}")
        components["schemas"][name] = schema
    for path, item in doc["paths"].items():
        for operation in item.values():
            _add_problems(operation, path)
    for unused in ("HTTPValidationError", "ValidationError"):
        components["schemas"].pop(unused, None)
    components["schemas"]["Problem"] = PROBLEM_SCHEMA
    return doc


def install_openapi(app: FastAPI) -> None:
    """Serve ``build_openapi``'s document (built once, on first request) at ``app.openapi_url``."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_openapi(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
