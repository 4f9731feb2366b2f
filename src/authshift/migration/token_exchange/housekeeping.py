"""Housekeeping (``app.HOUSEKEEPING``): prune the claims of legacy tokens that have expired, every 10 minutes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from authshift.logs import get_logger
from authshift.migration.token_exchange.replay import prune_claims

if TYPE_CHECKING:
    from authshift.accounts.services import AccountServices

PRUNE_EVERY_SECONDS = 600.0
log = get_logger("authshift.token_exchange")


async def prune_expired_claims(state: AccountServices) -> None:
    async with state.engine.begin() as conn:
        pruned = await prune_claims(conn)
    if pruned:
        log.info("pruned expired token-exchange claims", count=pruned)

