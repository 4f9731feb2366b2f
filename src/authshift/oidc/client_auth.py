"""Client authentication at the token, revocation and introspection endpoints (RFC 6749 2.3.1).

``client_secret_basic`` (HTTP Basic, with the id and secret form-urlencoded first) and
``client_secret_post`` (``client_id`` and ``client_secret`` in the body); public clients send only
``client_id`` (``none``). Using two methods at once is refused (RFC 6749 2.3). Every failure gives
the same ``invalid_client`` answer, whatever was wrong.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from urllib.parse import unquote_plus

from sqlalchemy.ext.asyncio import AsyncConnection

from authshift.oidc.clients import Client, get_client
from authshift.oidc.errors import OAuthError, invalid_client

AUTH_METHODS = ("client_secret_basic", "client_secret_post", "none")


def parse_basic(authorization: str | None) -> tuple[str, str] | None:
    """The client id and secret of an ``Authorization: Basic`` header, or ``None`` without one."""
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise invalid_client("the Basic credentials are malformed", basic=True) from None
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        raise invalid_client("the Basic credentials are malformed", basic=True)
    return unquote_plus(client_id), unquote_plus(secret)


async def authenticate_client(
    conn: AsyncConnection, authorization: str | None, form: Mapping[str, str], *, allow_public: bool = True
) -> Client:
    basic = parse_basic(authorization)
    if basic is not None:
        if "client_secret" in form:
            raise OAuthError("invalid_request", "use one client authentication method, not two")
        client_id, secret = basic
        if form.get("client_id") not in (None, client_id):
            raise OAuthError("invalid_request", "client_id differs from the authenticated client")
        client = await get_client(conn, client_id)
        if client is None or not client.check_secret(secret):
            raise invalid_client(basic=True)
        return client
    client_id = form.get("client_id")
    if not client_id:
        raise invalid_client("client authentication is required")
    client = await get_client(conn, client_id)
    secret = form.get("client_secret")
    if secret is not None:
        if client is None or not client.check_secret(secret):
            raise invalid_client()
        return client
    if client is None or not client.public:
        raise invalid_client()
    if not allow_public:
        raise invalid_client("this endpoint is for confidential clients")
    return client
