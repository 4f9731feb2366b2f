"""Mounting the console on the application: its routers, its static files, and the handlers
that turn "sign in first", "not an operator", "form expired" and any other error of a console
page (an unknown job or user id, a job in the wrong state) into pages instead of JSON.

A new page is a router added to ``CONSOLE_ROUTERS`` (CONSOLE_PAGES.md)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

from fastapi import APIRouter, FastAPI, Request
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.types import ExceptionHandler

from authshift.console import (
    api_docs,
    audit_pages,
    exports_pages,
    import_actions,
    imports_pages,
    integrations,
    overview,
    signin,
    users_pages,
)
from authshift.console.access import NotAnOperator, SignInRequired
from authshift.console.changes import ConsoleCsrfError
from authshift.console.rendering import render
from authshift.errors import AuthshiftError
from authshift.http.account_templates import PAGE_HEADERS

STATIC_DIR = Path(__file__).parent / "static"
STATIC_FILES = {p.name: p for p in STATIC_DIR.iterdir() if p.is_file()}

static_router = APIRouter(include_in_schema=False)


@static_router.get("/console/static/{name}")
async def console_static(name: str) -> Response:
    path = STATIC_FILES.get(name)
    if path is None:
        return Response("not found", status_code=404, media_type="text/plain")
    return FileResponse(path, headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"})


@static_router.get("/console", include_in_schema=False)
async def console_root() -> Response:
    return RedirectResponse("/console/", status_code=308)


CONSOLE_ROUTERS: list[APIRouter] = [static_router, signin.router, overview.router, users_pages.router, audit_pages.router,
                                    imports_pages.router, import_actions.router, exports_pages.router,
                                    integrations.router, api_docs.router]


async def _sign_in_first(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SignInRequired)
    return RedirectResponse(f"/console/login?{urlencode({'next': exc.next_path})}", status_code=303, headers=PAGE_HEADERS)


async def _refused(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, NotAnOperator)
    return render(request, "refused.html", operator=None, title="Not a console operator", status=403, who=exc.who)


async def _form_expired(request: Request, exc: Exception) -> Response:
    return render(request, "message.html", operator=getattr(request.state, "console_operator", None),
                  title="Form expired", status=403, retry=False, alert=True,
                  message="This form has expired or was sent from another site. Nothing was changed. "
                          "Reload the page and try again.")


def _is_console_page(request: Request) -> bool:
    """A console page a person is looking at: not its JSON polling endpoints, nor a script asking for JSON."""
    path = request.url.path
    return (path == "/console" or path.startswith("/console/")) and not path.endswith(".json") \
        and "json" not in request.headers.get("accept", "")


def _as_page(fallback: ExceptionHandler) -> ExceptionHandler:
    """On a console page, an error is a page (its status kept) that says what went wrong; elsewhere
    the application's own handler answers (``application/problem+json``)."""

    async def handler(request: Request, exc: Exception) -> Response:
        if not _is_console_page(request):
            return await fallback(request, exc)  # type: ignore[no-any-return, misc]
        if isinstance(exc, AuthshiftError):
            status, title, message = exc.status, exc.title, exc.detail
        elif isinstance(exc, StarletteHTTPException):
            status, title = exc.status_code, "Not found" if exc.status_code == 404 else str(exc.detail)
            message = "There is no console page here." if exc.status_code == 404 else str(exc.detail)
        else:
            return await fallback(request, exc)  # type: ignore[no-any-return, misc]
        return render(request, "message.html", operator=getattr(request.state, "console_operator", None),
                      title=title, status=status, retry=False, alert=True, message=message)

    return handler


def install_console(app: FastAPI) -> None:
    for router in CONSOLE_ROUTERS:
        app.include_router(router)
    app.add_exception_handler(SignInRequired, _sign_in_first)
    app.add_exception_handler(NotAnOperator, _refused)
    app.add_exception_handler(ConsoleCsrfError, _form_expired)
    for kind in (AuthshiftError, StarletteHTTPException):  # installed by http.problems before the console
        app.add_exception_handler(kind, _as_page(app.exception_handlers[kind]))
