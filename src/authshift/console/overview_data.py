"""What the Overview shows, read with a handful of small queries.

Live (counted now, so they equal the database): users in total, by migration state and by
readiness (both answered from an index), webhook backlog and dead deliveries, the legacy
connector's breaker and recent calls. From the daily snapshot (console/snapshots.py, "as of" its
time): the burn-down over time, the per-source table, activity, migrations and token exchanges
per day, and the projection.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from authshift.console.tables import console_daily_moves, console_daily_users
from authshift.events.tables import deliveries
from authshift.migration.readiness.tables import READINESS_STATES, user_readiness
from authshift.migration.stats import as_date
from authshift.storage.tables import MIGRATION_STATES, users

if TYPE_CHECKING:
    from authshift.state import AppState

HISTORY_DAYS = 90
MOVES_DAYS = 30
RATE_DAYS = 7  # the "current rate" of the projection: migrations per day over the last week
BACKLOG_STATES = ("pending", "delivering")
# The burn-down's lines: name -> which snapshot rows it counts.
SERIES = {
    "imported": lambda r: r["migration_state"] == "imported",
    "migrated": lambda r: r["migration_state"] == "migrated",
    "lazy-pending": lambda r: r["readiness"] == "lazy",
    "never signed in": lambda r: r["activity"] == "never",
}


async def live_counts(conn: AsyncConnection) -> dict[str, Any]:
    by_state = dict.fromkeys(MIGRATION_STATES, 0)
    for state, n in (await conn.execute(sa.select(users.c.migration_state, sa.func.count()).group_by(users.c.migration_state))).all():
        by_state[state] = n
    by_readiness = dict.fromkeys(READINESS_STATES, 0)
    query = sa.select(user_readiness.c.readiness, sa.func.count()).group_by(user_readiness.c.readiness)
    for readiness, n in (await conn.execute(query)).all():
        by_readiness[readiness] = n
    return {"total": sum(by_state.values()), "by_state": by_state, "by_readiness": by_readiness}


async def snapshot_rows(conn: AsyncConnection, since: date, source: str | None) -> list[dict[str, Any]]:
    d = console_daily_users.c
    query = sa.select(d.day, d.source, d.migration_state, d.readiness, d.activity, d.users).where(d.day >= since)
    if source is not None:
        query = query.where(d.source == source)
    return [{**row, "day": as_date(row["day"])} for row in (await conn.execute(query.order_by(d.day))).mappings()]


def burn_down(rows: list[dict[str, Any]]) -> tuple[list[date], dict[str, list[int]]]:
    days = sorted({r["day"] for r in rows})
    series = {name: [sum(r["users"] for r in rows if r["day"] == day and test(r)) for day in days]
              for name, test in SERIES.items()}
    return days, series


def by_source(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The last snapshot's users per source: totals by state, readiness and activity."""
    if not rows:
        return []
    last = max(r["day"] for r in rows)
    table: dict[str, dict[str, int]] = {}
    for r in rows:
        if r["day"] != last:
            continue
        cell = table.setdefault(r["source"], {"users": 0})
        for key in ("migration_state", "readiness", "activity"):
            cell[r[key]] = cell.get(r[key], 0) + r["users"]
        cell["users"] += r["users"]
    return [{"source": s, **c} for s, c in sorted(table.items(), key=lambda kv: -kv[1]["users"])]


async def sources(conn: AsyncConnection) -> list[str]:
    d = console_daily_users.c
    last = (await conn.execute(sa.select(sa.func.max(d.day)))).scalar()
    if last is None:
        return []
    return list((await conn.execute(sa.select(d.source).where(d.day == last).distinct().order_by(d.source))).scalars())


async def moves(conn: AsyncConnection, since: date) -> dict[str, dict[date, dict[str, int]]]:
    """kind -> day -> detail -> count."""
    m = console_daily_moves.c
    out: dict[str, dict[date, dict[str, int]]] = {}
    for day, kind, detail, n in (await conn.execute(sa.select(m.day, m.kind, m.detail, m.count).where(m.day >= since))).all():
        out.setdefault(kind, {}).setdefault(as_date(day), {})[detail] = n
    return out


@dataclass(frozen=True)
class Projection:
    remaining: int  # imported users active in the last snapshot
    per_day: float  # migrations per day over the last RATE_DAYS days
    day: date | None  # None: nothing is moving


def projection(rows: list[dict[str, Any]], per_day_totals: dict[date, int], today: date) -> Projection:
    last = max((r["day"] for r in rows), default=None)
    remaining = sum(r["users"] for r in rows if r["day"] == last and r["migration_state"] == "imported"
                    and r["activity"] == "active")
    rate = sum(per_day_totals.get(today - timedelta(days=i), 0) for i in range(1, RATE_DAYS + 1)) / RATE_DAYS
    if remaining == 0:
        return Projection(0, rate, today)
    return Projection(remaining, rate, today + timedelta(days=math.ceil(remaining / rate)) if rate > 0 else None)


async def webhook_health(conn: AsyncConnection) -> list[dict[str, Any]]:
    """Per target (an endpoint's deliveries, the legacy write-back): backlog and dead deliveries."""
    q = (sa.select(deliveries.c.target, deliveries.c.state, sa.func.count())
         .where(deliveries.c.state.in_((*BACKLOG_STATES, "dead"))).group_by(deliveries.c.target, deliveries.c.state))
    out: dict[str, dict[str, int]] = {}
    for target, state, n in (await conn.execute(q)).all():
        cell = out.setdefault(target, {"backlog": 0, "dead": 0})
        cell["dead" if state == "dead" else "backlog"] += n
    return [{"target": t, **c} for t, c in sorted(out.items())]


def connector_health(state: AppState) -> dict[str, Any] | None:
    """The legacy connector of this process: breaker state and recent calls; None when not configured."""
    client = state.legacy_client
    if client is None:
        return None
    return {"breaker": client.breaker.state, "health": client.health.summary()}
