"""Outbound HTTP to a legacy issuer: only configured URLs, no redirects, bounded time and size."""

from __future__ import annotations

import json
from typing import Any

import httpx

from authshift.migration.token_exchange.errors import ExchangeRefused

MAX_RESPONSE_BYTES = 1_048_576
TEMPORARILY_UNAVAILABLE = "temporarily_unavailable"


class IssuerUnavailable(ExchangeRefused):
    """The legacy issuer cannot be reached or answered nonsense: retry later, the token may be fine.

    Answered with 503 so the app keeps the user signed in at the legacy system and tries again,
    rather than treating a JWKS outage as a bad token.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(
            TEMPORARILY_UNAVAILABLE, "the legacy issuer cannot be reached; try again later", reason=reason, status=503
        )


def new_client() -> httpx.AsyncClient:
    return httpx.AsyncClient(follow_redirects=False, trust_env=False, limits=httpx.Limits(max_keepalive_connections=20))


async def request_json(
    client: httpx.AsyncClient, method: str, url: str, *, what: str, timeout: float, accept: tuple[int, ...] = (200,),
    **kwargs: Any,
) -> tuple[int, Any]:
    """Send one request; return (status, parsed JSON body or None). Raises ``IssuerUnavailable``."""
    try:
        async with client.stream(method, url, timeout=timeout, **kwargs) as response:
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > MAX_RESPONSE_BYTES:
                    raise IssuerUnavailable(f"{what}: response larger than {MAX_RESPONSE_BYTES} bytes")
    except httpx.TimeoutException:
        raise IssuerUnavailable(f"{what}: timed out after {timeout} s") from None
    except httpx.HTTPError as exc:
        raise IssuerUnavailable(f"{what}: {type(exc).__name__}") from None
    if response.status_code not in accept:
        raise IssuerUnavailable(f"{what}: unexpected HTTP status {response.status_code}")
    if not body:
        return response.status_code, None
    try:
        return response.status_code, json.loads(body)
    except ValueError:
        raise IssuerUnavailable(f"{what}: the response is not JSON") from None
