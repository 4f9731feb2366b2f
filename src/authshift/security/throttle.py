"""Brute-force protection: fixed-window attempt counters kept in the database.

Each counter is one row of the ``throttle`` table, keyed by what is being protected (an account,
a client IP, a client, a token subject). ``hit`` counts an attempt with one atomic upsert
(``INSERT ... ON CONFLICT DO UPDATE ... RETURNING``, on SQLite and PostgreSQL alike), so every
process sharing the database shares the counters and concurrent attempts are never lost.

Attempts are counted *before* the expensive check, so a burst of parallel guesses cannot slip
past the limit; a success clears the account's counter (``clear``) and gives back the IP's
attempt (``forgive``).

A counter that every request of a busy caller updates (a client's token exchanges) is one row
that each of them would wait on: ``BatchedCounters`` counts such hits in the process and adds
them to the shared row in batches (see there for how far the shared count may lag).
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from authshift.security.digests import secret_digest
from authshift.storage.combined import Write
from authshift.storage.db import is_postgres
from authshift.storage.tables import metadata
from authshift.storage.types import UtcDateTime, utcnow

throttle = sa.Table(
    "throttle",
    metadata,
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("window_start", UtcDateTime, nullable=False, index=True),
    sa.Column("count", sa.Integer, nullable=False),
)


@dataclass(frozen=True)
class Limit:
    """At most ``max_attempts`` attempts per ``window_seconds`` for ``key``."""

    key: str
    max_attempts: int
    window_seconds: int


def counter_key(kind: str, value: str) -> str:
    """The key of one counter: its kind, then a digest of what it counts (no login ID is stored)."""
    return f"{kind}:{secret_digest(value)[:40]}"


def account_key(login: str) -> str:
    """One counter per login: ``login`` is the login ID already normalised by the caller
    (``accounts.login_ids.login_key``), so ``Foo@X.com`` and ``foo@x.com`` share it."""
    return counter_key("account", login)


def user_key(user_id: object) -> str:
    return counter_key("user", str(user_id))


def ip_key(ip: str | None) -> str:
    return counter_key("ip", ip or "unknown")


@functools.cache
def hit_write(name: str, postgres: bool) -> Write:
    """The counting upsert, built once, its values bound as ``<name>__...`` (see ``hit_values``);
    it returns the attempts in the current window, these included."""
    insert = pg_insert if postgres else sqlite_insert
    t = throttle.c
    now = sa.bindparam(f"{name}__now", type_=UtcDateTime)
    amount = sa.bindparam(f"{name}__amount", type_=sa.Integer)
    expired = t.window_start < sa.bindparam(f"{name}__cutoff", type_=UtcDateTime)
    stmt = (
        insert(throttle)
        .values(key=sa.bindparam(f"{name}__key", type_=sa.Text), window_start=now, count=amount)
        .on_conflict_do_update(
            index_elements=[t.key],
            set_={
                "count": sa.case((expired, amount), else_=t.count + amount),
                "window_start": sa.case((expired, now), else_=t.window_start),
            },
        )
        .returning(t.count)
    )
    return Write(name, stmt)


def hit_values(name: str, limit: Limit, now: datetime, amount: int = 1) -> dict[str, Any]:
    return {f"{name}__key": limit.key, f"{name}__now": now, f"{name}__amount": amount,
            f"{name}__cutoff": now - timedelta(seconds=limit.window_seconds)}


async def hit(conn: AsyncConnection, limit: Limit, *, now: datetime | None = None, amount: int = 1) -> int:
    """Count ``amount`` attempts against ``limit``; returns the attempts in the current window, these included."""
    stmt = hit_write("hit", is_postgres(conn)).statement
    return int((await conn.execute(stmt, hit_values("hit", limit, now or utcnow(), amount))).scalar_one())


async def hit_alone(engine: AsyncEngine, limit: Limit, amount: int = 1) -> int:
    """``hit`` in a statement of its own, outside any other transaction: on PostgreSQL in
    autocommit mode, so the counter's row is locked only while the server runs the statement.
    (SQLite serialises writers anyway: a short transaction.)"""
    async with engine.connect() as conn:
        if is_postgres(conn):
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            return await hit(conn, limit, amount=amount)
        async with conn.begin():
            return await hit(conn, limit, amount=amount)


@dataclass
class _Tally:
    pending: int = 0  # hits counted here, not yet added to the shared row
    shared: int = 0  # the shared count when this process last wrote it
    written_at: float = -math.inf


class BatchedCounters:
    """Counters of hot keys, kept in the process and added to the shared row in batches.

    Each process adds its hits to the database row at the latest every ``batch`` hits (a
    ``fraction`` of the limit, at least 1) and every ``max_delay_seconds``, and on every hit once
    the count it knows is within one batch of the limit; the decision to refuse is always taken on
    the shared count just written. So the limit holds across processes within one batch per
    process (with the default 1%: two processes may admit up to 2% more than the limit), a limit
    under 100 is counted exactly, and hits still pending in a process that stops are lost.
    """

    def __init__(self, *, fraction: float = 0.01, max_delay_seconds: float = 1.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._fraction = fraction
        self._max_delay = max_delay_seconds
        self._clock = clock
        self._tallies: dict[str, _Tally] = {}

    async def hit(self, engine: AsyncEngine, limit: Limit) -> int:
        """Count one attempt; returns the attempts in the window as far as this process knows."""
        tally = self._tallies.setdefault(limit.key, _Tally())
        tally.pending += 1
        batch = max(1, int(limit.max_attempts * self._fraction))
        known = tally.shared + tally.pending
        now = self._clock()
        if tally.pending < batch and known + batch <= limit.max_attempts and now - tally.written_at < self._max_delay:
            return known
        # the hits made while this write is under way wait for the next batch or delay, as any others
        # (near the limit every hit still writes): not one write each because the delay was up
        amount, tally.pending = tally.pending, 0
        written_at, tally.written_at = tally.written_at, now
        try:
            tally.shared = await hit_alone(engine, limit, amount)
        except BaseException:
            tally.pending += amount
            tally.written_at = written_at
            raise
        return tally.shared


async def over_limit(conn: AsyncConnection, limits: Sequence[Limit]) -> bool:
    """Count an attempt against every limit; true when any of them is now exceeded."""
    exceeded = False
    for limit in limits:
        if await hit(conn, limit) > limit.max_attempts:
            exceeded = True
    return exceeded


async def clear(conn: AsyncConnection, key: str) -> None:
    await conn.execute(throttle.delete().where(throttle.c.key == key))


async def forgive(conn: AsyncConnection, key: str) -> None:
    """Give back one attempt (a success should not use up an IP's budget)."""
    await conn.execute(
        throttle.update().where(throttle.c.key == key, throttle.c.count > 0).values(count=throttle.c.count - 1)
    )


async def take_back(conn: AsyncConnection, key: str) -> None:
    """Undo one attempt that was not judged after all: as if it had never been counted (a
    counter back at zero is removed)."""
    await forgive(conn, key)
    await conn.execute(throttle.delete().where(throttle.c.key == key, throttle.c.count <= 0))


async def prune(conn: AsyncConnection, *, older_than: timedelta) -> int:
    result = await conn.execute(throttle.delete().where(throttle.c.window_start < utcnow() - older_than))
    return int(result.rowcount or 0)
