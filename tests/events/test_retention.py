"""Retention of the outbox: old finished deliveries and the dispatched events nothing refers to are
deleted; recent ones, unfinished ones and the audit log stay; big backlogs go in several batches."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from authshift.app import create_app
from authshift.audit import audit_row
from authshift.config import RetentionSettings, Settings
from authshift.events.outbox import event_row, events
from authshift.events.retention import prune_deliveries, prune_events
from authshift.events.tables import LEGACY_WRITEBACK, deliveries
from authshift.ids import uuid7
from authshift.retention import apply_retention
from authshift.state import AppState, build_state
from authshift.storage.tables import audit_log
from authshift.storage.types import utcnow

NOW = utcnow()
OLD = NOW - timedelta(days=40)  # past the default 30 days
RECENT = NOW - timedelta(days=1)


async def add_event(conn: AsyncConnection, *, occurred_at: datetime, dispatched: bool = True) -> uuid.UUID:
    row = {**event_row("user.migrated", {}, subject=str(uuid7())), "occurred_at": occurred_at,
           "dispatched_at": occurred_at if dispatched else None}
    await conn.execute(events.insert(), row)
    return row["id"]  # type: ignore[no-any-return]


async def add_delivery(conn: AsyncConnection, event_id: uuid.UUID, state: str, *, at: datetime) -> uuid.UUID:
    """A delivery created, last attempted and (when delivered) finished at ``at``."""
    row: dict[str, Any] = {
        "id": uuid7(), "event_id": event_id, "target": LEGACY_WRITEBACK, "event_type": "user.migrated",
        "state": state, "attempts": 1, "next_attempt_at": at, "created_at": at,
        "last_attempt_at": None if state == "pending" else at,
        "delivered_at": at if state == "delivered" else None,
    }
    if state == "delivering":
        row.update(lease_owner="a worker", lease_expires_at=NOW + timedelta(minutes=2))
    await conn.execute(deliveries.insert(), row)
    return row["id"]  # type: ignore[no-any-return]


async def ids(state: AppState, table: sa.Table) -> set[uuid.UUID]:
    async with state.engine.connect() as conn:
        return set((await conn.execute(sa.select(table.c.id))).scalars())


async def mixed_outbox(state: AppState) -> tuple[set[uuid.UUID], set[uuid.UUID], set[uuid.UUID], set[uuid.UUID]]:
    """Events and deliveries of every kind; returns (events kept, events pruned, deliveries kept,
    deliveries pruned) under the default retention."""
    async with state.engine.begin() as conn:
        gone_events, kept_events, gone_deliveries, kept_deliveries = set(), set(), set(), set()
        for finished in ("delivered", "dead"):  # old and finished: the delivery and its event go
            event = await add_event(conn, occurred_at=OLD)
            gone_events.add(event)
            gone_deliveries.add(await add_delivery(conn, event, finished, at=OLD))
        for unfinished in ("pending", "delivering"):  # old but unfinished: both stay
            event = await add_event(conn, occurred_at=OLD)
            kept_events.add(event)
            kept_deliveries.add(await add_delivery(conn, event, unfinished, at=OLD))
        event = await add_event(conn, occurred_at=OLD)  # an old event delivered yesterday: both stay
        kept_events.add(event)
        kept_deliveries.add(await add_delivery(conn, event, "delivered", at=RECENT))
        event = await add_event(conn, occurred_at=OLD)  # one delivery still kept keeps the event
        kept_events.add(event)
        gone_deliveries.add(await add_delivery(conn, event, "dead", at=OLD))
        await conn.execute(deliveries.insert(), {  # (a second target of the same event)
            "id": (kept := uuid7()), "event_id": event, "target": "webhook:x", "event_type": "user.migrated",
            "state": "pending", "attempts": 0, "next_attempt_at": OLD, "created_at": OLD})
        kept_deliveries.add(kept)
        gone_events.add(await add_event(conn, occurred_at=OLD))  # dispatched to no target at all
        kept_events.add(await add_event(conn, occurred_at=OLD, dispatched=False))  # not dispatched yet
        kept_events.add(await add_event(conn, occurred_at=RECENT))
    return kept_events, gone_events, kept_deliveries, gone_deliveries


async def test_old_finished_work_goes_and_everything_still_needed_stays(state: AppState) -> None:
    kept_events, gone_events, kept_deliveries, gone_deliveries = await mixed_outbox(state)
    async with state.engine.begin() as conn:
        old_audit = {**audit_row(actor="tests", action="webhook.created"), "at": OLD - timedelta(days=365)}
        await conn.execute(audit_log.insert(), old_audit)

    await apply_retention(state)

    assert await ids(state, deliveries) == kept_deliveries
    assert await ids(state, events) == kept_events
    assert await ids(state, audit_log) == {old_audit["id"]}  # the audit trail is never pruned
    await apply_retention(state)  # a second round finds nothing more
    assert await ids(state, events) == kept_events


async def test_zero_days_keeps_forever(state: AppState, settings: Settings) -> None:
    kept_events, gone_events, kept_deliveries, gone_deliveries = await mixed_outbox(state)
    forever = settings.model_copy(update={"retention": RetentionSettings(events_days=0, deliveries_days=0)})
    keeper = build_state(forever)
    try:
        await apply_retention(keeper)
    finally:
        await keeper.close()
    assert await ids(state, deliveries) == kept_deliveries | gone_deliveries
    assert await ids(state, events) == kept_events | gone_events


async def test_a_backlog_larger_than_a_batch_is_deleted_in_several(state: AppState) -> None:
    async with state.engine.begin() as conn:
        for i in range(12):
            event = await add_event(conn, occurred_at=OLD)
            await add_delivery(conn, event, "delivered" if i % 2 else "dead", at=OLD)
        pending = await add_delivery(conn, await add_event(conn, occurred_at=OLD), "pending", at=OLD)
        no_target = {await add_event(conn, occurred_at=OLD) for _ in range(3)}

    cutoff = NOW - timedelta(days=30)
    assert await prune_deliveries(state.engine, finished_before=cutoff, batch_size=5) == 12
    assert await prune_events(state.engine, occurred_before=cutoff, batch_size=5) == 12 + len(no_target)
    assert await ids(state, deliveries) == {pending}
    assert len(await ids(state, events)) == 1


async def test_the_server_prunes_on_its_own(settings: Settings) -> None:
    """The round runs from the housekeeping started with ``authshift serve`` (first at start)."""
    seeded = build_state(settings)
    try:
        async with seeded.engine.begin() as conn:
            old = await add_event(conn, occurred_at=OLD)
            await add_delivery(conn, old, "delivered", at=OLD)
            recent = await add_event(conn, occurred_at=RECENT)
    finally:
        await seeded.close()
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        state: AppState = app.state.authshift
        for _ in range(100):
            if await ids(state, events) == {recent}:
                break
            await asyncio.sleep(0.05)
        assert await ids(state, events) == {recent}
        assert await ids(state, deliveries) == set()
