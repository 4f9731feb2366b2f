"""Brute-force protection: fixed-window attempt counters kept in the database.

Each counter is one row of the ``throttle`` table, keyed by what is being protected (an account,
a client IP, a client, a token subject). ``hit`` counts an attempt with one atomic upsert
(``INSERT ... ON CONFLICT DO UPDATE ... RETURNING``, on SQLite and PostgreSQL alike), so every
process sharing the database shares the counters and concurrent attempts are never lost.

Attempts are counted *before* the expensive check, so a burst of parallel guesses cannot slip
past the limit; a success clears the account's counter (``clear``) and gives back the IP's
attempt (``forgive``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from authshift.accounts.login_ids import candidates
from authshift.config import ThrottleSettings
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


def _digest(kind: str, value: str) -> str:
    return f"{kind}:{hashlib.sha256(value.encode()).hexdigest()[:40]}"


def account_key(login_id: str) -> str:
    """One counter per login, however it is typed (``Foo@X.com`` and ``foo@x.com`` share it)."""
    found = candidates(login_id)
    return _digest("account", found[0].value if found else login_id.strip().casefold())


def user_key(user_id: object) -> str:
    return _digest("user", str(user_id))


def ip_key(ip: str | None) -> str:
    return _digest("ip", ip or "unknown")


def login_limits(cfg: ThrottleSettings, login_id: str, ip: str | None) -> list[Limit]:
    return [
        Limit(account_key(login_id), cfg.account_max_attempts, cfg.account_window_seconds),
        Limit(ip_key(ip), cfg.ip_max_attempts, cfg.ip_window_seconds),
    ]


async def hit(conn: AsyncConnection, limit: Limit, *, now: datetime | None = None) -> int:
    """Count one attempt against ``limit``; returns the attempts in the current window, this one included."""
    now = now or utcnow()
    cutoff = now - timedelta(seconds=limit.window_seconds)
    insert = pg_insert if is_postgres(conn) else sqlite_insert
    t = throttle.c
    expired = t.window_start < sa.bindparam("cutoff", cutoff, type_=UtcDateTime)
    stmt = (
        insert(throttle)
        .values(key=limit.key, window_start=now, count=1)
        .on_conflict_do_update(
            index_elements=[t.key],
            set_={
                "count": sa.case((expired, 1), else_=t.count + 1),
                "window_start": sa.case((expired, sa.bindparam("now", now, type_=UtcDateTime)), else_=t.window_start),
            },
        )
        .returning(t.count)
    )
    return int((await conn.execute(stmt)).scalar_one())


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


async def prune(conn: AsyncConnection, *, older_than: timedelta) -> int:
    result = await conn.execute(throttle.delete().where(throttle.c.window_start < utcnow() - older_than))
    return int(result.rowcount or 0)
