"""The Overview's history: one aggregate of the users per UTC day, and the day's migrations and
token exchanges, written every ``console.snapshot_minutes`` by a background job.

Why a snapshot: the burn-down ("over time") needs yesterday's numbers, which no table keeps, and
aggregating a million users on every page view would cost seconds. The job replaces today's
population rows each round, so a day's rows are what the day's last round saw.

Moves are counted from what the day leaves behind: ``user.migrated`` events (by path ``via`` and
by rolling-migration ``cohort``) and claimed legacy tokens (``exchanged_tokens``, by issuer). Both
are pruned later (retention, replay windows), so each round recounts yesterday and today and keeps
the larger of the stored and the observed count: a count never drops because its rows were pruned.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from authshift.accounts.migration_state import USER_MIGRATED
from authshift.console.tables import console_daily_moves, console_daily_users
from authshift.events.outbox import events
from authshift.migration.readiness.report import NO_SOURCE
from authshift.migration.readiness.tables import user_readiness
from authshift.migration.stats import as_date, utc_day
from authshift.migration.token_exchange.tables import exchanged_tokens
from authshift.storage.tables import users
from authshift.storage.types import utcnow

if TYPE_CHECKING:
    from authshift.state import AppState

ACTIVE_DAYS = 90  # a user who signed in within this many days (here or, per the import, in the legacy system) is active
NO_READINESS = "none"
NO_COHORT = "(no cohort)"


def activity_of(now: datetime) -> Any:
    last = users.c.last_login_at
    return sa.case((last.is_(None), "never"), (last >= now - timedelta(days=ACTIVE_DAYS), "active"), else_="dormant")


async def population(conn: AsyncConnection, now: datetime) -> list[dict[str, Any]]:
    """Users by source, migration state, readiness and activity, now: one pass over ``users``."""
    source = sa.func.coalesce(users.c.source, NO_SOURCE).label("source")
    readiness = sa.func.coalesce(user_readiness.c.readiness, NO_READINESS).label("readiness")
    activity = activity_of(now).label("activity")
    query = (
        sa.select(source, users.c.migration_state, readiness, activity, sa.func.count().label("users"))
        .select_from(users.outerjoin(user_readiness, user_readiness.c.user_id == users.c.id))
        .group_by(source, users.c.migration_state, readiness, activity)
    )
    return [dict(row) for row in (await conn.execute(query)).mappings()]


async def moves(conn: AsyncConnection, since: datetime) -> dict[tuple[date, str, str], int]:
    """Migrations by path and by cohort, and token exchanges by issuer, per UTC day from ``since``."""
    out: dict[tuple[date, str, str], int] = {}
    day = utc_day(conn, events.c.occurred_at)
    migrated = (events.c.type == USER_MIGRATED, events.c.occurred_at >= since)
    for kind, detail in (("via", events.c.data["via"].as_string()), ("cohort", events.c.data["cohort"].as_string())):
        query = sa.select(day, detail, sa.func.count()).where(*migrated).group_by(day, detail)
        for d, name, n in (await conn.execute(query)).all():
            key = (as_date(d), kind, name or (NO_COHORT if kind == "cohort" else "unknown"))
            out[key] = out.get(key, 0) + n
    xday = utc_day(conn, exchanged_tokens.c.exchanged_at)
    query = (sa.select(xday, exchanged_tokens.c.issuer, sa.func.count())
             .where(exchanged_tokens.c.exchanged_at >= since).group_by(xday, exchanged_tokens.c.issuer))
    for d, issuer, n in (await conn.execute(query)).all():
        out[(as_date(d), "token_exchange", issuer)] = n
    return out


async def take_snapshot(engine: AsyncEngine, now: datetime | None = None) -> date:
    """Bring today's (and yesterday's moves) history up to date; returns the day written."""
    now = now or utcnow()
    today = now.date()
    since = datetime.combine(today - timedelta(days=1), time.min, tzinfo=UTC)
    async with engine.begin() as conn:
        rows = await population(conn, now)
        await conn.execute(console_daily_users.delete().where(console_daily_users.c.day == today))
        if rows:
            await conn.execute(console_daily_users.insert(), [{"day": today, **row} for row in rows])
        observed = await moves(conn, since)
        m = console_daily_moves.c
        stored = {(as_date(d), k, x): n for d, k, x, n in (await conn.execute(
            sa.select(m.day, m.kind, m.detail, m.count).where(m.day >= today - timedelta(days=1))
        )).all()}
        for key, count in observed.items():
            if key not in stored:
                await conn.execute(console_daily_moves.insert().values(day=key[0], kind=key[1], detail=key[2], count=count))
            elif count > stored[key]:
                await conn.execute(console_daily_moves.update()
                                   .where(m.day == key[0], m.kind == key[1], m.detail == key[2]).values(count=count))
    return today


async def snapshot_round(state: AppState) -> None:
    """Housekeeping (``app.HOUSEKEEPING``): a snapshot at start-up, then every ``console.snapshot_minutes``."""
    await take_snapshot(state.engine)


def snapshot_seconds(state: AppState) -> float:
    return state.settings.console.snapshot_minutes * 60
