"""One lease for every queue: who holds a row of work, until when, and who may take it over.

Mail, webhook deliveries, imports and exports each keep their own table (their schema, their
business columns); what they share is the rule of the lease, written here once:

- an owner id names one worker of one process (host, pid, random part: a restarted process is
  someone else), so a lease left by a killed process is never mistaken for ours;
- ``claim``: a row is claimable when it waits and is due, or when it is held under a lease that has
  expired (its holder died or hung). Rows are chosen ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so
  several processes never claim the same row; SQLite's writers hold the write lock (``BEGIN
  IMMEDIATE``). The chosen rows are updated in the same transaction, re-checked as claimable;
- ``renew``: pushes the lease on, only while ``owner`` still holds it;
- ``release``: stores the outcome only while ``owner`` still holds the lease; otherwise it changes
  nothing and says so (``False``, "lease lost": whoever took the row over decides its outcome).

A queue without an owner column (the mail outbox: its lease is ``next_attempt_at`` moved past
the send) is claimed the same way; its release cannot tell owners apart and checks the state only.
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from authshift.storage.db import is_postgres
from authshift.storage.types import utcnow

__all__ = [
    "LIVE_OWNERS", "LeaseTable", "any_claimable", "claim", "local_pid", "owner_ended", "owner_id", "pid_ended", "release",
    "renew",
]

# Owner ids of this process whose work is running right now: an owner of this pid that is not
# in here is a leftover (a worker that stopped), and its leases are free.
LIVE_OWNERS: set[str] = set()


def owner_id() -> str:
    """A new owner id: ``host:pid:random``."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def local_pid(host: str, pid_text: str) -> int | None:
    """The pid when ``host`` is this machine and ``pid_text`` a number; None when this machine
    cannot tell (another host's process, or a malformed name)."""
    if host != socket.gethostname() or not pid_text.isdigit():
        return None
    return int(pid_text)


def pid_ended(pid: int) -> bool:
    """True when no process has this pid any more (a process of another user still runs)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def owner_ended(owner: str | None) -> bool:
    """True when ``owner`` is known to be gone: none, a process of this host that has ended, or a
    worker of this process that is no longer live. Another host's owner is never known to be gone
    (its lease has to expire)."""
    if not owner:
        return True
    host, _, rest = owner.partition(":")
    pid = local_pid(host, rest.partition(":")[0])
    if pid is None:
        return False
    if pid == os.getpid():
        return owner not in LIVE_OWNERS
    return pid_ended(pid)


@dataclass(frozen=True)
class LeaseTable:
    """Where a queue keeps its lease: the table and the names of its columns.

    ``waiting`` states are claimable once ``due`` (when there is such a column) has come;
    ``held`` is the state of a leased row, claimable again once ``expires`` has passed."""

    table: sa.Table
    state: str = "state"
    waiting: tuple[str, ...] = ("queued",)
    held: str = "running"
    owner: str | None = "lease_owner"
    expires: str = "lease_expires_at"
    due: str | None = None
    key: str = "id"

    def col(self, name: str) -> sa.Column[Any]:
        return self.table.c[name]

    def claimable(self, now: datetime) -> sa.ColumnElement[bool]:
        waiting: sa.ColumnElement[bool] = self.col(self.state).in_(self.waiting)
        if self.due is not None:
            waiting = sa.and_(waiting, self.col(self.due) <= now)
        expired = sa.and_(self.col(self.state) == self.held, self.col(self.expires) < now)
        return sa.or_(waiting, expired)

    def held_by(self, owner: str | None) -> list[sa.ColumnElement[bool]]:
        conditions = [self.col(self.state) == self.held]
        if self.owner is not None:
            conditions.append(self.col(self.owner) == owner)
        return conditions

    def free(self, row: Mapping[str, Any], now: datetime) -> bool:
        """The Python side of ``claimable`` for a row already read, where a lease whose owner is
        known to be gone (``owner_ended``) is free before it expires: a killed process's work is
        taken over at once by the next process on its host."""
        if row[self.state] in self.waiting:
            return self.due is None or row[self.due] <= now
        if row[self.state] != self.held:
            return False
        expires = row[self.expires]
        return expires is None or expires <= now or (self.owner is not None and owner_ended(row[self.owner]))


def _leased(lease: LeaseTable, owner: str, lease_seconds: float, now: datetime) -> dict[str, Any]:
    values: dict[str, Any] = {lease.state: lease.held, lease.expires: now + timedelta(seconds=lease_seconds)}
    if lease.owner is not None:
        values[lease.owner] = owner
    return values


async def any_claimable(
    conn: AsyncConnection, lease: LeaseTable, *, where: Iterable[sa.ColumnElement[bool]] = (), now: datetime | None = None
) -> bool:
    """A read-only look before claiming, so an idle worker never takes SQLite's write lock."""
    q = sa.select(lease.col(lease.key)).where(lease.claimable(now or utcnow()), *where).limit(1)
    return (await conn.execute(q)).first() is not None


async def claim(
    conn: AsyncConnection,
    lease: LeaseTable,
    owner: str,
    lease_seconds: float,
    *,
    where: Iterable[sa.ColumnElement[bool]] = (),
    order_by: Sequence[sa.ColumnElement[Any]] = (),
    limit: int = 1,
    values: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> list[Mapping[str, Any]]:
    """Lease up to ``limit`` claimable rows (matching ``where``) to ``owner`` and set ``values`` on
    them (column expressions allowed, e.g. ``attempts + 1``); returns the rows as updated.
    Call inside the transaction that should hold the claim."""
    now = now or utcnow()
    where = list(where)
    key = lease.col(lease.key)
    chosen = sa.select(key).where(lease.claimable(now), *where).order_by(*order_by).limit(limit)
    if is_postgres(conn):
        chosen = chosen.with_for_update(skip_locked=True, of=lease.table)
    ids: list[Any] = list((await conn.execute(chosen)).scalars())
    if not ids:
        return []
    claimed = await conn.execute(
        lease.table.update()
        .where(key.in_(ids), lease.claimable(now), *where)
        .values({**_leased(lease, owner, lease_seconds, now), **(values or {})})
        .returning(*lease.table.c)
    )
    by_key: dict[Any, Mapping[str, Any]] = {row[lease.key]: dict(row) for row in claimed.mappings()}
    return [by_key[i] for i in ids if i in by_key]


async def renew(
    conn: AsyncConnection,
    lease: LeaseTable,
    key: Any,
    owner: str,
    lease_seconds: float,
    *,
    values: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> bool:
    """Push ``owner``'s lease on ``lease_seconds`` from now (and set ``values``); False when
    ``owner`` no longer holds the row."""
    now = now or utcnow()
    result = await conn.execute(
        lease.table.update()
        .where(lease.col(lease.key) == key, *lease.held_by(owner))
        .values({lease.expires: now + timedelta(seconds=lease_seconds), **(values or {})})
    )
    return bool(result.rowcount)


async def release(
    conn: AsyncConnection, lease: LeaseTable, key: Any, owner: str | None, *, values: Mapping[str, Any]
) -> bool:
    """Store an outcome (``values``: the new state and what goes with it) and end ``owner``'s
    lease; False ("lease lost") when ``owner`` no longer holds the row, and nothing is stored."""
    result = await conn.execute(
        lease.table.update().where(lease.col(lease.key) == key, *lease.held_by(owner)).values(**values)
    )
    return bool(result.rowcount)
