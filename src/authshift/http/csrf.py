"""CSRF protection for the hosted forms: a signed double-submit token bound to a cookie.

The cookie holds a random value; the form carries HMAC(secret_key, that value). A site that can
make a browser post a form cannot read the cookie to compute the matching token, and cannot forge
the token without the instance's secret key (which also defeats cookies planted from a sibling
subdomain). Tokens are compared in constant time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

from starlette.requests import Request
from starlette.responses import Response

from authshift.errors import Forbidden

__all__ = ["COOKIE_NAME", "FIELD_NAME", "CsrfError", "check_csrf", "issue_csrf"]

COOKIE_NAME = "authshift_csrf"
FIELD_NAME = "csrf_token"
_COOKIE_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")


class CsrfError(Forbidden):
    title = "Form expired"
    type_slug = "csrf"

    def __init__(self) -> None:
        super().__init__("This form has expired or was sent from another site. Reload the page and try again.")


def _expected(request: Request, cookie_value: str) -> str:
    secret_key: bytes = request.app.state.authshift.secrets.secret_key
    key = hmac.new(secret_key, b"csrf", hashlib.sha256).digest()
    mac = hmac.new(key, cookie_value.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def _cookie(request: Request) -> str | None:
    value = request.cookies.get(COOKIE_NAME)
    return value if value and _COOKIE_SHAPE.fullmatch(value) else None


def issue_csrf(request: Request, response: Response) -> str:
    """The token to put in a form's ``csrf_token`` field; sets the cookie on ``response`` when the
    browser has none yet (the same value for every form rendered during one request)."""
    value = _cookie(request)
    if value is None:
        value = getattr(request.state, "csrf_cookie", None) or secrets.token_urlsafe(32)
        request.state.csrf_cookie = value
        issuer: str = request.app.state.authshift.settings.public_issuer
        response.set_cookie(
            COOKIE_NAME, value, httponly=True, samesite="lax", secure=issuer.startswith("https://"), path="/"
        )
    return _expected(request, value)


def check_csrf(request: Request, form_token: str | None) -> None:
    """Raise ``CsrfError`` (403) unless ``form_token`` matches the request's CSRF cookie."""
    value = _cookie(request)
    if value is None or not form_token or not hmac.compare_digest(_expected(request, value), form_token):
        raise CsrfError()
