"""What a process keeps between exchanges: the issuers (with their JWKS caches and HTTP client)
and which throttle keys were over their limit, so a flood is refused before any work is done.

The throttle counters themselves live in the database (shared by every process); the memory here
short-cuts a client or subject this process has already seen over its limit, and holds the
clients' counts until they are added to the database in a batch.
"""

from __future__ import annotations

import time
from typing import Protocol

from authshift.config import TokenExchangeSettings
from authshift.migration.token_exchange.errors import SLOW_DOWN, ExchangeRefused
from authshift.migration.token_exchange.issuers import IssuerRegistry
from authshift.oidc.services import OidcServices
from authshift.security.throttle import BatchedCounters


class TokenExchangeRuntime:
    def __init__(self, settings: TokenExchangeSettings) -> None:
        self.issuers = IssuerRegistry(settings)
        self.client_counts = BatchedCounters()  # the clients' exchange counts not yet in the database
        self._throttled_until: dict[str, float] = {}

    def remember_throttled(self, key: str, seconds: float) -> None:
        self._throttled_until[key] = time.monotonic() + seconds

    def refuse_if_throttled(self, key: str) -> None:
        until = self._throttled_until.get(key)
        if until is None:
            return
        if time.monotonic() >= until:
            del self._throttled_until[key]
            return
        raise ExchangeRefused(SLOW_DOWN, "too many token exchanges; try again later",
                              reason=f"throttled ({key.split(':')[0]}, remembered)", status=429)

    async def aclose(self) -> None:
        await self.issuers.aclose()


class ExchangeHost(OidcServices, Protocol):
    """What token exchange uses of the running process: the token code's services and a place for
    this process's runtime. The process's state (``authshift.state.AppState``) owns the runtime and
    closes it; naming it here as a Protocol keeps token exchange from importing the state (the
    import cycle issue #15 names)."""

    token_exchange: TokenExchangeRuntime | None  # built on first exchange


def runtime_for(state: ExchangeHost) -> TokenExchangeRuntime:
    """This process's runtime (built on first use, closed with the state)."""
    if state.token_exchange is None:
        state.token_exchange = TokenExchangeRuntime(state.settings.migration.token_exchange)
    return state.token_exchange
