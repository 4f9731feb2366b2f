"""The async engine, with the per-backend settings that make both backends behave alike."""

from __future__ import annotations

import time
import weakref
from collections.abc import AsyncIterator, Callable
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


# A connection given back to the pool this recently is not pinged again at checkout: it has just
# worked (one that failed on a disconnect is discarded, not given back). The price: a server that
# drops connections within that moment fails the requests that take them, as it fails those under
# way (SQLAlchemy then replaces the whole pool). HikariCP's aliveBypassWindowMs, same default.
ALIVE_BYPASS_SECONDS = 0.5


class _PostgresPing:
    """``pool_pre_ping``'s check that a pooled connection still works, in at most one round trip.

    SQLAlchemy's asyncpg ping wraps a prepared ``;`` in BEGIN ... ROLLBACK (for pgbouncer's
    transaction mode, where a prepared statement may not outlive its transaction): three round
    trips on every checkout. Here a connection given back less than ``ALIVE_BYPASS_SECONDS`` ago
    is not pinged at all, and the others get a simple-protocol ``SELECT 1``, which prepares
    nothing and runs in its own implicit transaction (as safe behind pgbouncer), in one round
    trip. Any failure means the connection cannot be used: False, and the pool replaces its
    connections (what SQLAlchemy does when its ping meets a disconnect)."""

    def __init__(self, engine: AsyncEngine, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._returned_at: weakref.WeakKeyDictionary[Any, float] = weakref.WeakKeyDictionary()
        sa.event.listen(engine.sync_engine, "checkin", self._checked_in)
        engine.dialect.do_ping = self.ping  # type: ignore[method-assign]

    def _checked_in(self, dbapi_connection: Any, _record: Any) -> None:
        if dbapi_connection is not None:  # None: it was invalidated
            self._returned_at[dbapi_connection.driver_connection] = self._clock()

    def ping(self, dbapi_connection: Any) -> bool:
        returned_at = self._returned_at.get(dbapi_connection.driver_connection)
        if returned_at is not None and self._clock() - returned_at < ALIVE_BYPASS_SECONDS:
            return True
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
    # A fixed pool: SQLAlchemy closes an "overflow" connection as soon as it is given back, so under
    # a steady load above pool_size every few requests paid for a new connection (and PostgreSQL
    # for a new backend process): 190 connections for 480 requests, 16 at a time.
    kwargs.setdefault("pool_size", 20)
    kwargs.setdefault("max_overflow", 0)
    kwargs.setdefault("pool_pre_ping", True)
    engine = create_async_engine(url, **kwargs)
    _PostgresPing(engine)
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
    if is_postgres(engine):
        async with each_statement_alone(engine) as conn:
            yield conn
        return
    async with engine.connect() as conn:
        await conn.execution_options(readonly=True)
        async with conn.begin():
            yield conn


@asynccontextmanager
async def each_statement_alone(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """PostgreSQL only: a connection on which every statement is its own transaction (autocommit),
    for a caller whose writes are each one all-or-nothing statement and that needs no lock between
    them: it saves the BEGIN and COMMIT round trips."""
    if not is_postgres(engine):
        raise NotImplementedError("each_statement_alone is for PostgreSQL; SQLite runs in the process")
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        yield conn
