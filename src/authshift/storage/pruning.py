"""Deleting many rows without holding locks for long: one bounded batch per short transaction.

``delete_in_batches`` deletes up to ``batch_size`` matching rows per statement
(``DELETE ... WHERE id IN (SELECT id ... LIMIT n)``), each in its own transaction, until a batch
comes back short. On PostgreSQL the batch is chosen ``FOR UPDATE SKIP LOCKED``: rows another
transaction holds (a worker updating them, another process pruning) are left for the next round,
and the conditions are checked again on the locked rows. On SQLite each batch holds the write
lock briefly. A short pause between batches (on both) lets waiting writers in.
"""

from __future__ import annotations

import asyncio

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from authshift.storage.db import is_postgres

__all__ = ["BATCH_SIZE", "delete_in_batches"]

BATCH_SIZE = 5000
PAUSE_BETWEEN_BATCHES_SECONDS = 0.05


async def delete_in_batches(
    engine: AsyncEngine, table: sa.Table, *conditions: sa.ColumnElement[bool], batch_size: int = BATCH_SIZE
) -> int:
    """Delete the rows of ``table`` (keyed by ``id``) that match every condition; returns how many."""
    key = table.c.id
    deleted = 0
    while True:
        async with engine.begin() as conn:
            chosen = sa.select(key).where(*conditions).limit(batch_size)
            if is_postgres(conn):
                chosen = chosen.with_for_update(skip_locked=True)
            result = await conn.execute(table.delete().where(key.in_(chosen.scalar_subquery())))
        count = int(result.rowcount or 0)
        deleted += count
        if count < batch_size:
            return deleted
        await asyncio.sleep(PAUSE_BETWEEN_BATCHES_SECONDS)
