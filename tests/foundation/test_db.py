"""The engine: pooled connections that died are replaced before use (unless given back a moment
ago, when they are known to work); reads without BEGIN/COMMIT."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
import sqlalchemy as sa

from authshift.storage.db import ALIVE_BYPASS_SECONDS, create_engine, reading
from tests.support.databases import postgres_admin_url

pytestmark = pytest.mark.postgres


async def _terminate(pid: int) -> None:
    admin = await asyncpg.connect(postgres_admin_url())
    try:
        assert await admin.fetchval("SELECT pg_terminate_backend($1)", pid)
    finally:
        await admin.close()


async def _backend_pid(engine: sa.ext.asyncio.AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(sa.text("SELECT pg_backend_pid()"))).scalar_one())


async def test_a_pooled_connection_whose_server_went_away_is_replaced_at_checkout(postgres_database: object) -> None:
    engine = create_engine(postgres_database.url, pool_size=1, max_overflow=0)  # type: ignore[attr-defined]
    try:
        first = await _backend_pid(engine)
        await _terminate(first)
        await asyncio.sleep(ALIVE_BYPASS_SECONDS + 0.1)
        second = await _backend_pid(engine)  # the ping finds it dead: a new connection, no error
        assert second != first
        async with reading(engine) as conn:
            assert (await conn.execute(sa.text("SELECT pg_backend_pid()"))).scalar_one() == second
    finally:
        await engine.dispose()


async def _statements_of_checkout(engine: sa.ext.asyncio.AsyncEngine, idle_seconds: float) -> list[str]:
    sent: list[str] = []
    async with engine.connect() as conn:
        driver = (await conn.get_raw_connection()).driver_connection
    driver.add_query_logger(lambda logged: sent.append(logged.query))
    await asyncio.sleep(idle_seconds)
    async with engine.connect() as conn:
        await conn.execute(sa.text("SELECT 42"))
    return sent  # the simple-protocol statements (the prepared SELECT 42 is not logged)


async def test_the_ping_is_one_statement_outside_any_transaction(postgres_database: object) -> None:
    engine = create_engine(postgres_database.url, pool_size=1, max_overflow=0)  # type: ignore[attr-defined]
    try:
        sent = await _statements_of_checkout(engine, ALIVE_BYPASS_SECONDS + 0.1)
        # the checkout's ping (SQLAlchemy's own: BEGIN, a prepared ";", ROLLBACK), then the work's BEGIN
        assert sent[0] == "SELECT 1" and sent[1].startswith("BEGIN") and len(sent) == 3, sent
    finally:
        await engine.dispose()


async def test_a_connection_given_back_a_moment_ago_is_not_pinged(postgres_database: object) -> None:
    engine = create_engine(postgres_database.url, pool_size=1, max_overflow=0)  # type: ignore[attr-defined]
    try:
        sent = await _statements_of_checkout(engine, 0)
        assert sent[0].startswith("BEGIN") and len(sent) == 2, sent
    finally:
        await engine.dispose()


async def test_reading_on_postgresql_runs_each_statement_in_its_own_transaction(postgres_database: object) -> None:
    """No BEGIN ... COMMIT round trips around reads; at READ COMMITTED each one sees what is committed."""
    engine = create_engine(postgres_database.url)  # type: ignore[attr-defined]
    try:
        async with reading(engine) as conn:
            started = await conn.execute(sa.text("SELECT transaction_timestamp()"))
            first = started.scalar_one()
            await asyncio.sleep(0.01)
            second = (await conn.execute(sa.text("SELECT transaction_timestamp()"))).scalar_one()
        assert second > first
        async with engine.begin() as conn:  # writers still get one transaction
            first = (await conn.execute(sa.text("SELECT transaction_timestamp()"))).scalar_one()
            await asyncio.sleep(0.01)
            assert (await conn.execute(sa.text("SELECT transaction_timestamp()"))).scalar_one() == first
    finally:
        await engine.dispose()


async def test_busy_requests_reuse_the_pooled_connections_instead_of_reconnecting(postgres_database: object) -> None:
    """Under sustained concurrency every connection is opened once and kept: no connection (and
    PostgreSQL backend) is started and torn down per request when more than a few run at once."""
    engine = create_engine(postgres_database.url)  # type: ignore[attr-defined]
    opened = 0

    def count(*_: object) -> None:
        nonlocal opened
        opened += 1

    sa.event.listen(engine.sync_engine, "connect", count)
    try:
        async def request() -> None:
            async with engine.begin() as conn:
                await conn.execute(sa.text("SELECT pg_sleep(0.001)"))

        for _ in range(30):  # 30 waves of 16 requests at once, as under a steady load
            await asyncio.gather(*(request() for _ in range(16)))
        assert opened <= 16, f"{opened} connections opened for 480 requests"
    finally:
        await engine.dispose()
