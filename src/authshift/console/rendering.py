"""Rendering console pages: Jinja2 templates under ``console/templates`` (autoescaped), one base
layout with the console's navigation, the hosted pages' security headers (no caching, no framing,
CSP ``script-src 'self'``: http/security_headers.py) and a CSRF token for every form."""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from authshift.console.operators import Operator
from authshift.http.account_templates import PAGE_HEADERS
from authshift.http.csrf import FIELD_NAME, issue_csrf

TEMPLATES = Path(__file__).parent / "templates"
environment = Environment(
    loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True
)


class NavItem(NamedTuple):
    key: str
    label: str
    href: str


# The base layout's navigation, in order; a page passes its ``key`` as ``active``.
NAV = (
    NavItem("overview", "Overview", "/console/"),
    NavItem("imports", "Imports", "/console/imports"),
    NavItem("exports", "Exports", "/console/exports"),
    NavItem("users", "Users", "/console/users"),
    NavItem("integrations", "Integrations", "/console/integrations"),
    NavItem("audit", "Audit log", "/console/audit"),
    NavItem("api", "API", "/console/api"),
)


def render(request: Request, template: str, *, operator: Operator | None, title: str, active: str | None = None,
           status: int = 200, **context: Any) -> HTMLResponse:
    """A console page: ``template`` extends ``base.html`` (blocks ``content`` and ``scripts``)."""
    response = HTMLResponse("", status_code=status, headers=PAGE_HEADERS)
    body = environment.get_template(template).render(
        operator=operator, title=title, active=active, nav=NAV, csrf_field_name=FIELD_NAME,
        csrf_token=issue_csrf(request, response), **context,
    )
    response.body = body.encode()
    response.headers["content-length"] = str(len(response.body))
    return response
