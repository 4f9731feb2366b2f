"""Rendering the account pages (Jinja2, autoescaped) with the headers every hosted form needs."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from authshift.http.csrf import issue_csrf
from authshift.http.security_headers import CONTENT_SECURITY_POLICY

__all__ = ["PAGE_HEADERS", "login_url", "render_page", "safe_return_to"]

TEMPLATES = Path(__file__).parent / "templates"
environment = Environment(
    loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True
)

# No caching of pages that carry tokens, no referrer leaking a reset link, no framing (clickjacking),
# nothing but this origin's own files (http/security_headers.py).
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
}
MAX_RETURN_TO = 4096


def render_page(request: Request, template: str, *, status: int = 200, **context: Any) -> HTMLResponse:
    response = HTMLResponse("", status_code=status, headers=PAGE_HEADERS)
    context.setdefault("csrf_token", issue_csrf(request, response))
    response.body = environment.get_template(template).render(**context).encode()
    response.headers["content-length"] = str(len(response.body))
    return response


def safe_return_to(value: str | None) -> str | None:
    """A place on this server to go back to after sign-in (a path such as ``/authorize?...``), or None:
    absolute URLs, scheme-relative ``//host`` and backslash tricks are dropped (no open redirect)."""
    if not value or len(value) > MAX_RETURN_TO or not value.startswith("/") or value.startswith(("//", "/\\")):
        return None
    if any(ord(ch) < 0x20 or ch == "\\" for ch in value):
        return None
    return value


def login_url(return_to: str | None = None, notice: str | None = None) -> str:
    """``/login``, carrying the original authorization request and what just happened."""
    query = {k: v for k, v in (("return_to", return_to), ("notice", notice)) if v}
    return "/login" + (f"?{urlencode(query)}" if query else "")
