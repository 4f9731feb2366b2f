"""Started with the server: make the first signing key, then prune what has expired, periodically."""

from __future__ import annotations

import asyncio
import contextlib
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
    from authshift.state import AppState

PRUNE_EVERY_SECONDS = 600.0
log = get_logger("authshift.oidc")


async def prune_once(state: AppState) -> None:
    async with state.engine.begin() as conn:
        await prune_expired(conn)
        await conn.execute(authorization_codes.delete().where(authorization_codes.c.expires_at < utcnow() - timedelta(hours=1)))
        cfg = state.settings
        longest = max(cfg.throttle.account_window_seconds, cfg.throttle.ip_window_seconds, cfg.signup.ip_window_seconds)
        await throttle.prune(conn, older_than=timedelta(seconds=longest))
        await prune_networks(conn, days=cfg.throttle.known_network_days)


async def start_oidc(state: AppState) -> Callable[[], Awaitable[None]]:
    async with state.engine.begin() as conn:
        kid = await ensure_signing_key(conn, key_box(state.secrets.encryption_key), state.settings.oidc)
    if kid:
        log.info("created the first token signing key", kid=kid, alg=state.settings.oidc.signing_alg)

    async def loop() -> None:
        while True:
            await asyncio.sleep(PRUNE_EVERY_SECONDS)
            try:
                await prune_once(state)
            except Exception as exc:  # noqa: BLE001 - retried at the next round
                log.warning("pruning expired tokens failed", error_type=type(exc).__name__)

    task = asyncio.create_task(loop())

    async def stop() -> None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    return stop
