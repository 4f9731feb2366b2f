"""What the account flows (sign-in, sign-up, password reset, self-service, passkeys, TOTP, known
answers) use of the running process: the settings, the engine, the instance's secrets, the accounts
context and the legacy fallback.

A Protocol, so these services name exactly what they use and the process's state
(``authshift.state.AppState``, the composition root at the top beside the app and the CLI)
satisfies it without this package importing it: nothing below the top points up (issue #15).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from authshift.accounts.context import AccountsContext
    from authshift.accounts.legacy_fallback import LegacyFallback
    from authshift.config import Settings
    from authshift.security.instance_secrets import InstanceSecrets

__all__ = ["AccountServices"]


class AccountServices(Protocol):
    """The account flows' view of the process (``AppState`` is one)."""

    settings: Settings
    engine: AsyncEngine
    secrets: InstanceSecrets
    accounts: AccountsContext
    legacy: LegacyFallback | None  # set by rolling migration when a legacy system is configured
