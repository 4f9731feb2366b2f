"""Throttle counters: atomic across connections and processes sharing the database, windowed."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from authshift.security import throttle
from authshift.storage.db import create_engine
from authshift.storage.types import utcnow


async def test_parallel_hits_from_two_engines_are_all_counted(db_url: str) -> None:
    engines = [create_engine(db_url), create_engine(db_url)]  # as two processes would
    limit = throttle.Limit("ip:test", 10, 60)

    async def one(i: int) -> int:
        async with engines[i % 2].begin() as conn:
            return await throttle.hit(conn, limit)

    try:
        counts = await asyncio.gather(*(one(i) for i in range(20)))
        assert sorted(counts) == list(range(1, 21))
        async with engines[0].begin() as conn:
            assert await throttle.over_limit(conn, [limit]) is True
    finally:
        for engine in engines:
            await engine.dispose()


async def test_window_restarts_and_clear_forgive(db_url: str) -> None:
    engine = create_engine(db_url)
    limit = throttle.Limit(throttle.account_key("Someone@Example.com"), 2, 60)
    try:
        async with engine.begin() as conn:
            long_ago = utcnow() - timedelta(seconds=120)
            assert await throttle.hit(conn, limit, now=long_ago) == 1
            assert await throttle.hit(conn, limit, now=long_ago) == 2
            assert await throttle.hit(conn, limit) == 1  # the old window is over
            assert await throttle.hit(conn, limit) == 2
            await throttle.forgive(conn, limit.key)
            assert await throttle.hit(conn, limit) == 2
            await throttle.clear(conn, limit.key)
            assert await throttle.hit(conn, limit) == 1
            assert throttle.account_key("someone@example.com") == limit.key
            assert await throttle.prune(conn, older_than=timedelta(seconds=0)) >= 0
    finally:
        await engine.dispose()
