"""Delivering ``pending`` rows of ``email_outbox`` over SMTP, at least once, with retries.

A row is claimed with the shared lease (``jobs.lease``; ``FOR UPDATE SKIP LOCKED`` on PostgreSQL,
the write lock on SQLite), here kept in ``next_attempt_at`` (moved past the send), so several
processes never send it at the same time; a process that dies mid-send leaves it to be retried
when the lease ends. The retry loop is the shared ``jobs.worker``.
"""

from __future__ import annotations

import random
import smtplib
import uuid
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from authshift.accounts.services import AccountServices
from authshift.config import SmtpSettings
from authshift.jobs import lease
from authshift.jobs.worker import Worker
from authshift.logs import get_logger
from authshift.mail import smtp as smtp_client
from authshift.mail.outbox import redact_links
from authshift.mail.tables import email_outbox
from authshift.storage.types import utcnow

__all__ = ["deliver_due", "start_mail_worker"]

log = get_logger("authshift.mail")
MAX_BACKOFF_SECONDS = 600.0
MAX_ERROR_LENGTH = 500
# The outbox has no owner column: a claim moves next_attempt_at past the send (its lease).
LEASE = lease.LeaseTable(email_outbox, state="status", waiting=("pending",), held="pending", owner=None,
                         expires="next_attempt_at", due="next_attempt_at")


def _lease(smtp: SmtpSettings) -> timedelta:
    return timedelta(seconds=smtp.timeout_seconds * 3 + 30)


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff with jitter: about 10 s, 20 s, 40 s ... at most 10 minutes."""
    base = min(5.0 * 2**attempts, MAX_BACKOFF_SECONDS)
    return timedelta(seconds=base * random.uniform(0.8, 1.2))


async def _claim(engine: AsyncEngine, smtp: SmtpSettings, message_id: uuid.UUID | None, limit: int) -> list[Mapping[str, Any]]:
    where = [] if message_id is None else [email_outbox.c.id == message_id]
    async with engine.begin() as conn:
        rows = await lease.claim(conn, LEASE, "", _lease(smtp).total_seconds(), where=where,
                                 order_by=[email_outbox.c.next_attempt_at], limit=limit,
                                 values={"attempts": email_outbox.c.attempts + 1})
    return rows  # as claimed: ``attempts`` already counts the send about to be tried


async def _deliver_one(engine: AsyncEngine, smtp: SmtpSettings, row: Mapping[str, Any]) -> bool:
    message = smtp_client.build_message(smtp, to=row["to_address"], subject=row["subject"], body=row["body"])
    attempts = row["attempts"]
    try:
        await smtp_client.send_async(smtp, message)
    except (smtplib.SMTPException, OSError, ValueError) as exc:
        error = f"{type(exc).__name__}: {exc}"[:MAX_ERROR_LENGTH]
        failed = attempts >= smtp.max_attempts
        values: dict[str, Any] = {"last_error": error}
        values.update({"status": "failed"} if failed else {"next_attempt_at": utcnow() + retry_delay(attempts)})
        async with engine.begin() as conn:
            await lease.release(conn, LEASE, row["id"], None, values=values)
        log.warning(
            "email delivery failed" + (", giving up" if failed else ", will retry"),
            message_id=str(row["id"]), attempts=attempts, error=error,
        )
        return False
    async with engine.begin() as conn:
        await lease.release(conn, LEASE, row["id"], None, values={
            "status": "sent", "sent_at": utcnow(), "last_error": None, "body": redact_links(row["body"]),
        })
    log.info("email sent", message_id=str(row["id"]), to=row["to_address"], purpose=row["purpose"], attempts=attempts)
    return True


async def deliver_due(state: AccountServices, *, message_id: uuid.UUID | None = None, limit: int = 20) -> int:
    """Send the pending messages that are due (or just ``message_id``); returns how many were tried."""
    if not state.settings.smtp.enabled:
        return 0
    smtp = state.settings.smtp
    rows = await _claim(state.engine, smtp, message_id, limit)
    for row in rows:
        await _deliver_one(state.engine, smtp, row)
    return len(rows)


async def start_mail_worker(state: AccountServices) -> Callable[[], Awaitable[None]]:
    """Background starter (``app.BACKGROUND``): retries pending mail every ``smtp.poll_seconds``;
    stopping lets the batch in progress finish."""
    async def round() -> bool:
        return bool(await deliver_due(state))

    worker = Worker("authshift-mail-worker", round, poll_seconds=state.settings.smtp.poll_seconds, grace_seconds=None)
    if state.settings.smtp.enabled:
        worker.start()
    return worker.stop
