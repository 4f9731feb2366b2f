"""Started with the server: make the first signing key (``start_oidc``); then, as housekeeping
(``app.HOUSEKEEPING``), prune what has expired every 10 minutes (``prune_once``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TYPE_CHECKING

from authshift.logs import get_logger
from authshift.oidc.keys import ensure_signing_key, key_box
from authshift.oidc.tables import authorization_codes
from authshift.oidc.tokens import prune_expired
from authshift.security import throttle
from authshift.security.known_networks import prune_networks
from authshift.storage.types import utcnow

if TYPE_CHECKING:
    from authshift.accounts.services import AccountServices

PRUNE_EVERY_SECONDS = 600.0
log = get_logger("authshift.oidc")


async def prune_once(state: AccountServices) -> None:
    async with state.engine.begin() as conn:
        await prune_expired(conn)
        await conn.execute(authorization_codes.delete().where(authorization_codes.c.expires_at < utcnow() - timedelta(hours=1)))
        cfg = state.settings
        longest = max(cfg.throttle.account_window_seconds, cfg.throttle.ip_window_seconds, cfg.signup.ip_window_seconds)
        await throttle.prune(conn, older_than=timedelta(seconds=longest))
        await prune_networks(conn, days=cfg.throttle.known_network_days)


async def start_oidc(state: AccountServices) -> Callable[[], Awaitable[None]]:
    """``app.BACKGROUND`` starter: the first signing key, before the first request needs it."""
    async with state.engine.begin() as conn:
        kid = await ensure_signing_key(conn, key_box(state.secrets.encryption_key), state.settings.oidc)
    if kid:
        log.info("created the first token signing key", kid=kid, alg=state.settings.oidc.signing_alg)

    async def stop() -> None:
        return None

    return stop
