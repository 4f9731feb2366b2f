"""Every error leaves as ``application/problem+json`` with a 4xx status and a clear message."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from authshift.errors import AuthshiftError
from authshift.logs import get_logger

PROBLEM_JSON = "application/problem+json"
log = get_logger("authshift.http")


def problem_response(status: int, title: str, detail: str, **extra: Any) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def _loc(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def allowed_methods(request: Request) -> str:
    """Every method some route serves at this path (RFC 9110 15.5.6: a 405 carries ``Allow``).

    Starlette's own ``Allow`` names only the methods of the first route matching the path, while
    FastAPI declares one route per method: ``GET /users`` and ``POST /users`` are two routes."""
    path = request.scope["path"]
    methods: set[str] = set()
    for route in _leaf_routes(request.app.router.routes):
        regex, route_methods = getattr(route, "path_regex", None), getattr(route, "methods", None)
        if regex is not None and route_methods and regex.match(path):
            methods |= set(route_methods)
    return ", ".join(sorted(methods))


def _leaf_routes(routes: Any) -> Any:
    """Routes with a path and methods; FastAPI keeps an included router's as its candidates."""
    for route in routes:
        yield route
        yield from _leaf_routes(getattr(route, "_effective_candidates", None) or ())


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(AuthshiftError)
    async def _domain(_: Request, exc: AuthshiftError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return JSONResponse(exc.problem(), status_code=exc.status, media_type=PROBLEM_JSON, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"path": _loc(tuple(e.get("loc", ()))), "message": str(e.get("msg", "invalid"))} for e in exc.errors()]
        return problem_response(422, "Invalid input", "the request is not valid", errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        response = problem_response(exc.status_code, str(exc.detail), str(exc.detail))
        response.headers.update(exc.headers or {})
        if exc.status_code == 405:
            response.headers["Allow"] = allowed_methods(request)
        return response

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled error", path=request.url.path, error_type=type(exc).__name__)
        return problem_response(500, "Internal error", "an unexpected error happened; it has been logged")
