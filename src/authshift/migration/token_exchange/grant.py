"""The token-exchange grant at the token endpoint, registered in the OIDC grant registry.

Importing this module adds ``urn:ietf:params:oauth:grant-type:token-exchange`` to
``authshift.oidc.grants.GRANT_HANDLERS``; the token endpoint has already authenticated the
client and checked that it may use the grant (``unauthorized_client`` otherwise).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from authshift.migration.token_exchange.errors import ExchangeRefused
from authshift.migration.token_exchange.request import GRANT_TYPE
from authshift.migration.token_exchange.service import exchange
from authshift.oidc.clients import GRANT_TOKEN_EXCHANGE, Client
from authshift.oidc.errors import OAuthError
from authshift.oidc.grants import GRANT_HANDLERS

if TYPE_CHECKING:
    from authshift.migration.token_exchange.runtime import ExchangeHost

assert GRANT_TYPE == GRANT_TOKEN_EXCHANGE


async def token_exchange_grant(form: Mapping[str, str], client: Client, state: ExchangeHost, request_ip: str | None) -> dict[str, Any]:
    """RFC 8693 section 2: the response of 2.2.1, or the error of 2.2.2 as OAuth JSON."""
    try:
        done = await exchange(form, client, state, request_ip)
    except ExchangeRefused as exc:
        headers = {"Retry-After": "60"} if exc.status in (429, 503) else None
        raise OAuthError(exc.error, exc.description, exc.status, headers=headers) from None
    return done.response


GRANT_HANDLERS[GRANT_TOKEN_EXCHANGE] = token_exchange_grant
