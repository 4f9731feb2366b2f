"""The contract of the shared lease (``jobs.lease``), on SQLite and PostgreSQL: two owners never
hold the same job, an expired lease is taken over, only the holder renews or stores an outcome,
and a lease left by a process of this host that has ended is free at once."""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from authshift.ids import uuid7
from authshift.jobs import lease
from authshift.migration.exports.tables import export_jobs
from authshift.state import AppState
from authshift.storage.types import utcnow

QUEUE = lease.LeaseTable(export_jobs)  # any queue's table will do: this one has the usual columns


async def add_jobs(state: AppState, n: int, **values: Any) -> list[uuid.UUID]:
    now = utcnow()
    rows = [{"id": uuid7(), "state": "queued", "options": {}, "actor": "test", "created_at": now, "attempts": 0,
             "users": 0, **values} for _ in range(n)]
    async with state.engine.begin() as conn:
        await conn.execute(export_jobs.insert(), rows)
    return [r["id"] for r in rows]


async def job(state: AppState, job_id: uuid.UUID) -> dict[str, Any]:
    async with state.engine.connect() as conn:
        return dict((await conn.execute(sa.select(export_jobs).where(export_jobs.c.id == job_id))).mappings().one())


async def claim(state: AppState, owner: str, *, limit: int = 1, seconds: float = 60.0) -> list[uuid.UUID]:
    async with state.engine.begin() as conn:
        rows = await lease.claim(conn, QUEUE, owner, seconds, limit=limit, order_by=[export_jobs.c.created_at],
                                 values={"attempts": export_jobs.c.attempts + 1})
    return [r["id"] for r in rows]


async def test_two_owners_never_hold_the_same_job(state: AppState) -> None:
    ids = await add_jobs(state, 24)
    claimed: dict[str, list[uuid.UUID]] = {}

    async def drain(owner: str) -> None:
        mine = claimed.setdefault(owner, [])
        while got := await claim(state, owner, limit=3):
            mine += got
            await asyncio.sleep(0)

    await asyncio.gather(*(drain(lease.owner_id()) for _ in range(4)))
    every = [i for got in claimed.values() for i in got]
    assert sorted(every) == sorted(ids), "each job is claimed exactly once"
    for owner, got in claimed.items():
        for job_id in got:
            row = await job(state, job_id)
            assert (row["state"], row["lease_owner"], row["attempts"]) == ("running", owner, 1)


async def test_a_held_job_is_not_claimed_until_its_lease_expires(state: AppState) -> None:
    [job_id] = await add_jobs(state, 1)
    first, second = lease.owner_id(), lease.owner_id()
    assert await claim(state, first, seconds=60) == [job_id]
    assert await claim(state, second) == []
    async with state.engine.begin() as conn:  # the holder died: its lease runs out
        await conn.execute(export_jobs.update().values(lease_expires_at=utcnow() - timedelta(seconds=1)))
    assert await claim(state, second) == [job_id]
    row = await job(state, job_id)
    assert (row["lease_owner"], row["attempts"]) == (second, 2)


async def test_only_the_holder_renews_and_releases(state: AppState) -> None:
    [job_id] = await add_jobs(state, 1)
    holder, other = lease.owner_id(), lease.owner_id()
    await claim(state, holder, seconds=5)
    async with state.engine.begin() as conn:
        assert not await lease.renew(conn, QUEUE, job_id, other, 600)
        assert not await lease.release(conn, QUEUE, job_id, other, values={"state": "failed"})
        assert await lease.renew(conn, QUEUE, job_id, holder, 600, values={"users": 7})
    row = await job(state, job_id)
    assert row["state"] == "running" and row["users"] == 7
    assert row["lease_expires_at"] > utcnow() + timedelta(seconds=500)
    async with state.engine.begin() as conn:
        assert await lease.release(conn, QUEUE, job_id, holder,
                                   values={"state": "completed", "lease_owner": None, "lease_expires_at": None})
        assert not await lease.release(conn, QUEUE, job_id, holder, values={"state": "failed"}), "released once"
    assert (await job(state, job_id))["state"] == "completed"


async def test_a_taken_over_lease_is_lost_to_its_old_holder(state: AppState) -> None:
    [job_id] = await add_jobs(state, 1)
    old, new = lease.owner_id(), lease.owner_id()
    await claim(state, old, seconds=0.01)
    await asyncio.sleep(0.05)
    assert await claim(state, new) == [job_id]
    async with state.engine.begin() as conn:
        assert not await lease.renew(conn, QUEUE, job_id, old, 60)
        assert not await lease.release(conn, QUEUE, job_id, old, values={"state": "completed"}), "lease lost"
    assert (await job(state, job_id))["lease_owner"] == new


async def test_any_claimable_looks_without_claiming(state: AppState) -> None:
    async with state.engine.connect() as conn:
        assert not await lease.any_claimable(conn, QUEUE)
    await add_jobs(state, 1)
    async with state.engine.connect() as conn:
        assert await lease.any_claimable(conn, QUEUE)
    assert await claim(state, lease.owner_id())
    async with state.engine.connect() as conn:
        assert not await lease.any_claimable(conn, QUEUE)


def test_a_killed_local_owner_is_known_to_be_gone() -> None:
    host = socket.gethostname()
    assert lease.owner_ended(None)
    live = lease.owner_id()
    assert lease.owner_ended(live), "an owner of this process that is not running work is a leftover"
    lease.LIVE_OWNERS.add(live)
    try:
        assert not lease.owner_ended(live)
    finally:
        lease.LIVE_OWNERS.discard(live)
    assert not lease.owner_ended(f"{host}:{os.getppid()}:ab"), "a live process of this host"
    assert lease.owner_ended(f"{host}:{2**22 + 12345}:ab"), "a pid no process has"
    assert not lease.owner_ended("another-host:1:ab"), "another host's process: its lease has to expire"
    now = utcnow()
    row = {"state": "running", "lease_owner": f"{host}:{2**22 + 12345}:ab", "lease_expires_at": now + timedelta(hours=1)}
    assert QUEUE.free(row, now)
    assert not QUEUE.free({**row, "lease_owner": "another-host:1:ab"}, now)
