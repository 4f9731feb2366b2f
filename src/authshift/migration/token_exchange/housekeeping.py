"""Started with the server: prune the claims of legacy tokens that have expired, periodically."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from authshift.logs import get_logger
from authshift.migration.token_exchange.replay import prune_claims

if TYPE_CHECKING:
    from authshift.state import AppState

PRUNE_EVERY_SECONDS = 600.0
log = get_logger("authshift.token_exchange")


async def start_token_exchange(state: AppState) -> Callable[[], Awaitable[None]]:
    async def loop() -> None:
        while True:
            try:
                async with state.engine.begin() as conn:
                    pruned = await prune_claims(conn)
                if pruned:
                    log.info("pruned expired token-exchange claims", count=pruned)
            except Exception as exc:  # noqa: BLE001 - retried at the next round
                log.warning("pruning token-exchange claims failed", error_type=type(exc).__name__)
            await asyncio.sleep(PRUNE_EVERY_SECONDS)

    task = asyncio.create_task(loop())

    async def stop() -> None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    return stop
