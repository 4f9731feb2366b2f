"""The async engine, with the per-backend settings that make both backends behave alike."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from authshift.config import async_database_url


def _sqlite_pragmas(dbapi_conn: Any, _: Any) -> None:
    # Take transaction control away from the driver (pysqlite/aiosqlite start transactions lazily
    # and mishandle SAVEPOINT); SQLAlchemy's "begin" event below emits BEGIN itself.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def _sqlite_begin(conn: Any) -> None:
    """Writers take the write lock up front (BEGIN IMMEDIATE) so that busy_timeout applies instead of
    a deferred transaction failing when it upgrades; ``readonly=True`` connections use plain BEGIN."""
    conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get("readonly") else "BEGIN IMMEDIATE")


def _ping_postgres(dbapi_connection: Any) -> bool:
    """``pool_pre_ping``'s check that a pooled connection still works, in one round trip.

    SQLAlchemy's asyncpg ping wraps a prepared ``;`` in BEGIN ... ROLLBACK (for pgbouncer's
    transaction mode, where a prepared statement may not outlive its transaction): three round
    trips on every checkout. A simple-protocol query prepares nothing and runs in its own implicit
    transaction, so it is as safe there, in one. Any failure means the connection cannot be used:
    False, and the pool replaces its connections (what SQLAlchemy does when its ping meets a
    disconnect)."""
    try:
        dbapi_connection.run_async(lambda conn: conn.execute("SELECT 1"))
    except Exception:  # noqa: BLE001 - a pooled connection that cannot run SELECT 1 is dead
        return False
    return True


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    url = async_database_url(url)
    kwargs.setdefault("json_deserializer", orjson.loads)  # same values as json.loads, several times faster
    if url.startswith("sqlite"):
        engine = create_async_engine(url, **kwargs)
        sa.event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        sa.event.listen(engine.sync_engine, "begin", _sqlite_begin)
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 10)
    kwargs.setdefault("pool_pre_ping", True)
    engine = create_async_engine(url, **kwargs)
    engine.dialect.do_ping = _ping_postgres  # type: ignore[method-assign]
    return engine


def is_postgres(engine_or_conn: Any) -> bool:
    return bool(engine_or_conn.dialect.name == "postgresql")


@asynccontextmanager
async def reading(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """Reads that need no snapshot of their own: on SQLite a read transaction (plain BEGIN: it does
    not take the write lock); on PostgreSQL none at all (autocommit). At READ COMMITTED every
    statement sees the latest committed state whether or not a transaction surrounds it, so BEGIN
    and COMMIT would only cost two round trips. Reads that must agree with each other use
    ``authshift.accounts.users.snapshot``."""
    async with engine.connect() as conn:
        if is_postgres(conn):
            await conn.execution_options(isolation_level="AUTOCOMMIT")
        else:
            await conn.execution_options(readonly=True)
        async with conn.begin():
            yield conn
