"""Retention of ``email_outbox``: messages logged, sent or given up on more than ``mail_days`` ago
are deleted (and with them the reset links their bodies still hold); recent ones and messages
still to be sent stay; ``0`` keeps every message."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
import sqlalchemy as sa

from authshift.config import RetentionSettings, Settings
from authshift.ids import uuid7
from authshift.mail.retention import prune_mail
from authshift.mail.tables import email_outbox
from authshift.retention import apply_retention
from authshift.state import AppState, build_state
from authshift.storage.types import utcnow
from tests.pages.helpers import outbox
from tests.pages.test_password_reset import ask_reset, make_user

NOW = utcnow()
OLD = NOW - timedelta(days=8)  # past the default 7 days
RECENT = NOW - timedelta(days=1)


async def add_mail(state: AppState, status: str, *, created_at: datetime, finished_at: datetime | None = None) -> uuid.UUID:
    """A message written at ``created_at``; a sent one was sent at ``finished_at``, a failed one gave
    up then (its last attempt's lease), a pending one is due for a retry then."""
    row: dict[str, Any] = {
        "id": uuid7(), "to_address": "ada@example.com", "subject": "Reset your password",
        "body": "http://127.0.0.1:8000/reset-password?token=secret", "purpose": "password_reset",
        "status": status, "attempts": 0 if status == "logged" else 3, "created_at": created_at,
        "next_attempt_at": None if status == "logged" else finished_at,
        "sent_at": finished_at if status == "sent" else None,
    }
    async with state.engine.begin() as conn:
        await conn.execute(email_outbox.insert(), row)
    return row["id"]  # type: ignore[no-any-return]


async def mail_ids(state: AppState) -> set[uuid.UUID]:
    async with state.engine.connect() as conn:
        return set((await conn.execute(sa.select(email_outbox.c.id))).scalars())


async def mixed_mail(state: AppState) -> tuple[set[uuid.UUID], set[uuid.UUID]]:
    """Messages of every kind; returns (kept, pruned) under the default retention."""
    gone = {
        await add_mail(state, "logged", created_at=OLD),
        await add_mail(state, "sent", created_at=OLD, finished_at=OLD + timedelta(seconds=2)),
        await add_mail(state, "failed", created_at=OLD, finished_at=OLD + timedelta(minutes=30)),
    }
    kept = {
        await add_mail(state, "logged", created_at=RECENT),
        await add_mail(state, "sent", created_at=OLD, finished_at=RECENT),  # retried for days, sent yesterday
        await add_mail(state, "failed", created_at=OLD, finished_at=RECENT),
        await add_mail(state, "pending", created_at=OLD, finished_at=OLD),  # old, overdue for its retry
        await add_mail(state, "pending", created_at=OLD, finished_at=NOW + timedelta(minutes=5)),  # retrying
        await add_mail(state, "pending", created_at=RECENT, finished_at=RECENT),
    }
    return kept, gone


async def test_old_finished_mail_goes_and_mail_still_to_send_stays(state: AppState) -> None:
    kept, gone = await mixed_mail(state)
    await apply_retention(state)
    assert await mail_ids(state) == kept
    await apply_retention(state)  # a second round finds nothing more
    assert await mail_ids(state) == kept


async def test_zero_days_keeps_every_message(state: AppState, settings: Settings) -> None:
    kept, gone = await mixed_mail(state)
    forever = settings.model_copy(update={"retention": RetentionSettings(mail_days=0)})
    keeper = build_state(forever)
    try:
        await apply_retention(keeper)
    finally:
        await keeper.close()
    assert await mail_ids(state) == kept | gone


async def test_a_backlog_larger_than_a_batch_is_deleted_in_several(state: AppState) -> None:
    for i in range(7):
        await add_mail(state, "sent" if i % 2 else "logged", created_at=OLD, finished_at=OLD)
    pending = await add_mail(state, "pending", created_at=OLD, finished_at=OLD)
    assert await prune_mail(state.engine, finished_before=NOW - timedelta(days=7), batch_size=3) == 7
    assert await mail_ids(state) == {pending}


async def test_a_reset_link_written_without_smtp_stops_being_stored(client: httpx.AsyncClient, app: Any) -> None:
    state: AppState = app.state.authshift
    await make_user(app)
    assert (await ask_reset(client, "ada@example.com")).status_code == 200
    [message] = await outbox(state.engine)
    assert message["status"] == "logged" and "token=" in message["body"]
    await apply_retention(state)
    assert await mail_ids(state) == {message["id"]}  # written just now: kept
    async with state.engine.begin() as conn:
        await conn.execute(email_outbox.update().values(created_at=OLD))
    await apply_retention(state)
    assert await outbox(state.engine) == []
