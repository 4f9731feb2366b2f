"""The console's registration as an OpenID Connect client of this authshift.

The console signs operators in exactly as any application does: authorization code with PKCE
(S256) through the hosted login. Its client is public (a secret kept in the same process would
protect nothing) and is registered on first use, idempotently: ``authshift-console`` with the one
redirect URI ``<issuer>/console/callback``. A changed issuer updates the redirect URI.
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from authshift.oidc.clients import GRANT_AUTHORIZATION_CODE, Client, get_client
from authshift.oidc.tables import oauth_clients
from authshift.storage.types import utcnow

CLIENT_ID = "authshift-console"
CLIENT_NAME = "authshift migration console"
SCOPES = ("openid", "email")
CALLBACK_PATH = "/console/callback"


def callback_uri(issuer: str) -> str:
    return issuer.rstrip("/") + CALLBACK_PATH


async def ensure_console_client(conn: AsyncConnection, issuer: str) -> Client:
    """The console's client, registered now if it is missing or points at another issuer."""
    redirect_uris = [callback_uri(issuer)]
    client = await get_client(conn, CLIENT_ID)
    if client is not None and list(client.redirect_uris) == redirect_uris and not client.secret_hash:
        return client
    values = {
        "name": CLIENT_NAME, "secret_hash": None, "redirect_uris": redirect_uris, "post_logout_redirect_uris": [],
        "grant_types": [GRANT_AUTHORIZATION_CODE], "scopes": list(SCOPES),
    }
    if client is None:
        try:
            async with conn.begin_nested():
                await conn.execute(oauth_clients.insert().values(client_id=CLIENT_ID, created_at=utcnow(), **values))
        except IntegrityError:  # another request registered it a moment ago
            pass
    else:
        await conn.execute(oauth_clients.update().where(oauth_clients.c.client_id == CLIENT_ID).values(**values))
    found = await get_client(conn, CLIENT_ID)
    assert found is not None
    return found

