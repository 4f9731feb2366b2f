"""The transactional outbox: an event is written in the same transaction as the change it describes.

Delivery (webhooks, the legacy write-back URL) reads this table later, so an event is never lost
when a process stops between the change and the delivery.
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from authshift.ids import uuid7
from authshift.storage.tables import metadata
from authshift.storage.types import JSONType, UtcDateTime, utcnow

events = sa.Table(
    "events",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("type", sa.Text, nullable=False, index=True),
    sa.Column("occurred_at", UtcDateTime, nullable=False, index=True),
    sa.Column("subject", sa.Text),
    sa.Column("data", JSONType, nullable=False),
    # Set once the delivery fan-out has created this event's deliveries (events/delivery.py).
    sa.Column("dispatched_at", UtcDateTime),
    sa.Index("ix_events_undispatched", "id", sqlite_where=sa.text("dispatched_at IS NULL"),
             postgresql_where=sa.text("dispatched_at IS NULL")),
)


def event_row(event_type: str, data: dict[str, Any], *, subject: str | None = None) -> dict[str, Any]:
    """The event's row (for callers that write it together with other rows, in one transaction)."""
    return {"id": uuid7(), "type": event_type, "occurred_at": utcnow(), "subject": subject, "data": data}


async def emit(conn: AsyncConnection, event_type: str, data: dict[str, Any], *, subject: str | None = None) -> uuid.UUID:
    """Record an event inside the caller's transaction; returns its id (the idempotency id)."""
    row = event_row(event_type, data, subject=subject)
    await conn.execute(events.insert(), row)
    return row["id"]  # type: ignore[no-any-return]
