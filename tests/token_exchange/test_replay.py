"""A legacy token is exchanged once: the claim is atomic on both backends, and lapses with the token."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from authshift.migration.token_exchange.replay import claim_token, keep_until, prune_claims
from authshift.migration.token_exchange.tables import exchanged_tokens
from authshift.storage.types import utcnow


@pytest.fixture
def engine(app: Any) -> AsyncEngine:
    return app.state.authshift.engine  # type: ignore[no-any-return]


async def claim(engine: AsyncEngine, key: str, until_seconds: float = 600) -> bool:
    async with engine.begin() as conn:
        return await claim_token(conn, "legacy", key, utcnow() + timedelta(seconds=until_seconds))


async def test_a_token_is_claimed_once_per_issuer(engine: AsyncEngine) -> None:
    assert await claim(engine, "jti:a")
    assert not await claim(engine, "jti:a")
    assert await claim(engine, "jti:b")
    async with engine.begin() as conn:  # the same jti from another issuer is another token
        assert await claim_token(conn, "other-issuer", "jti:a", utcnow() + timedelta(seconds=60))


async def test_a_lapsed_claim_is_pruned_and_can_be_taken_again(engine: AsyncEngine) -> None:
    assert await claim(engine, "sha256:x", until_seconds=-1)
    assert await claim(engine, "sha256:x")  # the old claim had lapsed
    assert await claim(engine, "sha256:y", until_seconds=-1)
    async with engine.begin() as conn:
        await prune_claims(conn)  # (the server's periodic pruning, started with the app, may have run first)
        left = (await conn.execute(sa.select(exchanged_tokens.c.token_key))).scalars().all()
    assert left == ["sha256:x"]
    assert not await claim(engine, "sha256:x")


@pytest.mark.parametrize("first_commits", [True, False])
async def test_concurrent_exchanges_of_one_token_cannot_both_succeed(engine: AsyncEngine, first_commits: bool) -> None:
    first_claimed = asyncio.Event()

    async def first() -> bool:
        async with engine.connect() as conn:
            tx = await conn.begin()
            got = await claim_token(conn, "legacy", "jti:race", utcnow() + timedelta(seconds=60))
            first_claimed.set()
            await asyncio.sleep(0.3)  # the second exchange runs now, while this one is open
            await (tx.commit() if first_commits else tx.rollback())
            return got

    async def second() -> bool:
        await first_claimed.wait()
        return await claim(engine, "jti:race")

    got_first, got_second = await asyncio.gather(first(), second())
    assert got_first
    assert got_second is (not first_commits)  # a rolled-back exchange does not use the token up


def test_claims_last_until_the_token_expires_plus_leeway_or_the_window() -> None:
    now = utcnow()
    exp = (now + timedelta(seconds=300)).timestamp()
    assert abs((keep_until(exp, leeway_seconds=30, window_seconds=3600, now=now) - now).total_seconds() - 330) < 1
    assert keep_until(None, leeway_seconds=30, window_seconds=3600, now=now) == now + timedelta(seconds=3600)
    assert keep_until(now.timestamp() - 999, leeway_seconds=0, window_seconds=1, now=now) == now
