"""Throttle counters: atomic across connections and processes sharing the database, windowed."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from authshift.accounts.login_ids import login_key
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
    limit = throttle.Limit(throttle.account_key(login_key("Someone@Example.com")), 2, 60)
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
            assert throttle.account_key(login_key("someone@example.com")) == limit.key
            assert await throttle.prune(conn, older_than=timedelta(seconds=0)) >= 0
    finally:
        await engine.dispose()


async def _shared_count(engine: AsyncEngine, limit: throttle.Limit) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(sa.select(throttle.throttle.c.count).where(throttle.throttle.c.key == limit.key))).scalar_one())


async def test_batched_counts_reach_the_shared_row_in_batches(db_url: str) -> None:
    engine = create_engine(db_url)
    now = [0.0]
    counter = throttle.BatchedCounters(clock=lambda: now[0])
    limit = throttle.Limit("tx-client:busy", 1000, 60)  # batches of 10
    try:
        for _ in range(10):
            await counter.hit(engine, limit)
        assert await _shared_count(engine, limit) == 1  # the first hit is written, the next 9 wait
        assert await counter.hit(engine, limit) == 11  # a full batch is written
        assert await _shared_count(engine, limit) == 11
        await counter.hit(engine, limit)
        now[0] += 1.0  # at the latest every second, what is pending is written
        assert await counter.hit(engine, limit) == 13 == await _shared_count(engine, limit)
    finally:
        await engine.dispose()


async def test_hits_made_while_a_batch_is_written_do_not_each_write_again(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = create_engine(db_url)
    now = [0.0]
    counter = throttle.BatchedCounters(clock=lambda: now[0])
    limit = throttle.Limit("tx-client:herd", 100_000, 60)  # batches of 1000
    writes: list[int] = []
    write = throttle.hit_alone

    async def counted(engine: AsyncEngine, limit: throttle.Limit, amount: int = 1) -> int:
        writes.append(amount)
        return await write(engine, limit, amount)

    monkeypatch.setattr(throttle, "hit_alone", counted)
    try:
        await counter.hit(engine, limit)
        now[0] += 1.0  # the delay is up: the next hit writes, the ones made meanwhile do not
        await asyncio.gather(*(counter.hit(engine, limit) for _ in range(20)))
        assert writes == [1, 1]
        now[0] += 1.0
        assert await counter.hit(engine, limit) == 22 == await _shared_count(engine, limit)
        assert writes == [1, 1, 20]
    finally:
        await engine.dispose()


async def test_batched_counts_of_two_processes_hold_the_limit_within_one_batch(db_url: str) -> None:
    engines = [create_engine(db_url), create_engine(db_url)]  # as two processes would
    counters = [throttle.BatchedCounters(clock=lambda: 0.0) for _ in engines]
    limit = throttle.Limit("tx-client:shared", 300, 60)  # batches of 3
    admitted, refused = 0, [False, False]
    try:
        while not all(refused):
            for i, (engine, counter) in enumerate(zip(engines, counters, strict=False)):
                if await counter.hit(engine, limit) > limit.max_attempts:
                    refused[i] = True
                elif not refused[i]:
                    admitted += 1
        assert limit.max_attempts <= admitted <= limit.max_attempts + 3
        exact = throttle.Limit("tx-client:small", 5, 60)  # limits under 100 are counted on every hit
        assert [await counters[i % 2].hit(engines[i % 2], exact) for i in range(6)] == [1, 2, 3, 4, 5, 6]
    finally:
        for engine in engines:
            await engine.dispose()
