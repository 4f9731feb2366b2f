"""What a running authshift process holds: settings, the engine, secrets and service contexts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncEngine

from authshift.accounts.context import AccountsContext, build_accounts_context
from authshift.accounts.legacy_fallback import LegacyFallback
from authshift.config import Settings
from authshift.migration.rolling.legacy_client import LegacyClient
from authshift.oidc.keys import SigningKeyCache, key_box
from authshift.passwords.service import set_hashing_threads
from authshift.security.instance_secrets import InstanceSecrets, load_instance_secrets
from authshift.storage.db import create_engine

if TYPE_CHECKING:
    from authshift.migration.token_exchange.runtime import TokenExchangeRuntime


@dataclass
class AppState:
    settings: Settings
    engine: AsyncEngine
    secrets: InstanceSecrets = field(repr=False)
    accounts: AccountsContext = field(repr=False)
    signing_keys: SigningKeyCache = field(repr=False)  # the signing key as this process sees it
    legacy: LegacyFallback | None = None  # set by rolling migration when a legacy system is configured
    legacy_client: LegacyClient | None = None  # the one connector (and breaker) of this process
    token_exchange: TokenExchangeRuntime | None = field(default=None, repr=False)  # built on first exchange

    async def close(self) -> None:
        if self.token_exchange is not None:
            await self.token_exchange.aclose()
        await self.engine.dispose()


def build_state(settings: Settings) -> AppState:
    set_hashing_threads(settings.passwords.hashing_threads)
    secrets = load_instance_secrets(settings)
    return AppState(
        settings=settings,
        engine=create_engine(settings.database_url),
        secrets=secrets,
        accounts=build_accounts_context(settings, secrets),
        signing_keys=SigningKeyCache(key_box(secrets.encryption_key), settings.oidc),
    )
