"""FastAPI dependencies: the process state, a transaction per request, the admin key."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncConnection

from authshift.errors import Forbidden, Unauthorized
from authshift.security.admin_keys import SCOPE_ADMIN, AdminKey, authenticate_admin_key
from authshift.state import AppState


def get_state(request: Request) -> AppState:
    return request.app.state.authshift  # type: ignore[no-any-return]


async def transaction(request: Request) -> AsyncIterator[AsyncConnection]:
    """One transaction per request: committed when the handler returns, rolled back when it raises.

    Function scope: the commit happens before the response is sent, so a client never sees a
    success whose commit then fails or is cut off (FastAPI's default runs it after sending)."""
    async with get_state(request).engine.begin() as conn:
        yield conn


State = Annotated[AppState, Depends(get_state)]
Conn = Annotated[AsyncConnection, Depends(transaction, scope="function")]


# Declares the admin key in the OpenAPI document (security scheme ``adminKey``); ``admin_key``
# reads the header itself so that a missing or malformed one gets this API's problem+json 401.
_BEARER = HTTPBearer(scheme_name="adminKey", auto_error=False,
                     description="An admin API key (`authshift admin-keys create`): `Authorization: Bearer ask_...`")


async def admin_key(
    request: Request, _declared: HTTPAuthorizationCredentials | None = Security(_BEARER)
) -> AdminKey:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise Unauthorized("a valid admin API key is required (Authorization: Bearer ask_...)")
    async with get_state(request).engine.begin() as conn:
        key = await authenticate_admin_key(conn, value.strip())
    if not key.allows(SCOPE_ADMIN):
        raise Forbidden("this key may not use the admin API")
    return key


Admin = Annotated[AdminKey, Depends(admin_key)]
