"""Progress of a migration: users by migration_state and by source, migrations per day, and the
state of deliveries (the legacy write-back falling behind shows here first)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from authshift.events.delivery import delivery_counts
from authshift.events.outbox import events
from authshift.storage.db import is_postgres
from authshift.storage.tables import MIGRATION_STATES, users
from authshift.storage.types import utcnow

__all__ = ["MAX_DAYS", "as_date", "migration_stats", "utc_day"]

MAX_DAYS = 366
MIGRATED_EVENT = "user.migrated"


def utc_day(conn: AsyncConnection, column: Any) -> Any:
    """``column``'s UTC calendar day, in SQL (read it back with ``as_date``)."""
    if is_postgres(conn):
        return sa.cast(sa.func.timezone("UTC", column), sa.Date)
    return sa.func.date(column)  # SQLite keeps UTC datetimes as text


async def migration_stats(conn: AsyncConnection, *, days: int = 30) -> dict[str, Any]:
    """Counts for ``GET /api/admin/v1/migration/stats``; ``migrations_per_day`` covers the last
    ``days`` UTC days (today included), from the ``user.migrated`` events, days without any
    migration included with 0."""
    by_state = dict.fromkeys(MIGRATION_STATES, 0)
    for state, count in (await conn.execute(sa.select(users.c.migration_state, sa.func.count()).group_by(users.c.migration_state))).all():
        by_state[state] = count
    by_source = {
        (source or "none"): count
        for source, count in (await conn.execute(sa.select(users.c.source, sa.func.count()).group_by(users.c.source))).all()
    }
    today = utcnow().date()
    first = today - timedelta(days=days - 1)
    day = utc_day(conn, events.c.occurred_at).label("day")
    q = (
        sa.select(day, sa.func.count())
        .where(events.c.type == MIGRATED_EVENT, events.c.occurred_at >= datetime.combine(first, time.min, tzinfo=UTC))
        .group_by(day)
    )
    per_day = {as_date(d): n for d, n in (await conn.execute(q)).all()}
    return {
        "users": {"total": sum(by_state.values()), "by_migration_state": by_state, "by_source": by_source},
        "migrations_per_day": [
            {"date": (first + timedelta(days=i)).isoformat(), "count": per_day.get(first + timedelta(days=i), 0)}
            for i in range(days)
        ],
        "deliveries": await delivery_counts(conn),
    }


def as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))
