"""Pruning the outbox: finished deliveries, then the dispatched events nothing refers to any more.

Only finished work goes. A delivery is finished when it is ``delivered`` or ``dead`` (a dead one
can no longer be redelivered once pruned); ``pending`` and ``delivering`` ones are never touched.
An event is pruned once it was dispatched (its deliveries exist) and no delivery of it is left:
a delivery reads its payload from the event, and deleting an event would cascade to them.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from authshift.events.outbox import events
from authshift.events.tables import deliveries
from authshift.storage.pruning import BATCH_SIZE, delete_in_batches

__all__ = ["FINISHED_DELIVERY_STATES", "prune_deliveries", "prune_events"]

FINISHED_DELIVERY_STATES = ("delivered", "dead")


async def prune_deliveries(engine: AsyncEngine, *, finished_before: datetime, batch_size: int = BATCH_SIZE) -> int:
    """Delete deliveries that were delivered, or gave up, before ``finished_before``."""
    d = deliveries.c
    finished_at = sa.func.coalesce(d.delivered_at, d.last_attempt_at, d.created_at)
    return await delete_in_batches(
        engine, deliveries,
        d.state.in_(FINISHED_DELIVERY_STATES),
        finished_at < finished_before,
        # implied by the line above (a delivery is due before its last attempt), and lets the
        # (state, next_attempt_at) index narrow the scan
        d.next_attempt_at < finished_before,
        batch_size=batch_size,
    )


async def prune_events(engine: AsyncEngine, *, occurred_before: datetime, batch_size: int = BATCH_SIZE) -> int:
    """Delete dispatched events older than ``occurred_before`` that no delivery refers to."""
    e = events.c
    return await delete_in_batches(
        engine, events,
        e.occurred_at < occurred_before,
        e.dispatched_at.is_not(None),
        ~sa.exists().where(deliveries.c.event_id == e.id),
        batch_size=batch_size,
    )
