"""Token introspection (RFC 7662) and revocation (RFC 7009).

Introspection is for resource servers: any confidential client may ask about an access token;
a refresh token is described only to the client it belongs to. An unknown, expired or revoked
token is ``{"active": false}`` and nothing more (RFC 7662 2.2).

Revocation: a refresh token revokes its whole grant (its access tokens become inactive too,
RFC 7009 2.1); an access token is added to the revocation list until it expires. Tokens of other
clients and unknown tokens are ignored with 200, as the RFC asks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from authshift.oidc.claims import format_scope
from authshift.oidc.clients import Client
from authshift.oidc.errors import OAuthError
from authshift.oidc.tables import grants
from authshift.oidc.tokens import find_refresh_token, live_grant, revoke_access_token, revoke_grant, verify_access_token
from authshift.storage.types import utcnow

if TYPE_CHECKING:
    from authshift.oidc.services import OidcServices

TOKEN_TYPE_HINTS = ("access_token", "refresh_token")
INACTIVE: dict[str, Any] = {"active": False}


def _check_hint(hint: str | None) -> None:
    if hint is not None and hint not in TOKEN_TYPE_HINTS:
        raise OAuthError("unsupported_token_type", f"token_type_hint must be one of {', '.join(TOKEN_TYPE_HINTS)}")


async def introspect(state: OidcServices, conn: AsyncConnection, client: Client, token: str, hint: str | None) -> dict[str, Any]:
    _check_hint(hint)
    if hint != "refresh_token" and token.count(".") == 2:
        info = await verify_access_token(state, conn, token)
        if info is None:
            return INACTIVE
        c = info.claims
        out = {
            "active": True, "token_type": "Bearer", "scope": c.get("scope", ""), "client_id": c["client_id"],
            "sub": c["sub"], "aud": c["aud"], "iss": c["iss"], "exp": c["exp"], "iat": c["iat"], "jti": c["jti"],
        }
        for optional in ("sid", "auth_time"):
            if optional in c:
                out[optional] = c[optional]
        return out
    row = await find_refresh_token(conn, token)
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        return INACTIVE
    grant = await live_grant(conn, row.grant_id)
    if grant is None or grant.client_id != client.client_id:
        return INACTIVE
    return {
        "active": True, "token_type": "refresh_token", "scope": format_scope(grant.scope), "client_id": grant.client_id,
        "sub": str(grant.user_id), "iss": state.settings.public_issuer, "exp": int(row.expires_at.timestamp()),
        "iat": int(row.created_at.timestamp()), "sid": str(grant.session_id),
    }


async def revoke(state: OidcServices, conn: AsyncConnection, client: Client, token: str, hint: str | None) -> None:
    _check_hint(hint)
    if token.count(".") == 2:
        info = await verify_access_token(state, conn, token)
        if info is not None and info.client_id == client.client_id:
            await revoke_access_token(conn, info)
        return
    row = await find_refresh_token(conn, token)
    if row is None:
        return
    owner = (await conn.execute(sa.select(grants.c.client_id).where(grants.c.id == row.grant_id))).scalar()
    if owner == client.client_id:
        await revoke_grant(conn, row.grant_id, "revoked by the client")
