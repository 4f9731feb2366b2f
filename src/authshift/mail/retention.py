"""Pruning ``email_outbox``: finished messages go, and with them the links their bodies still hold.

A message is finished when it is ``logged`` (no SMTP: the row was the delivery), ``sent`` or
``failed`` (given up after ``smtp.max_attempts``); ``pending`` ones, retrying or not yet tried, are
never touched. ``logged`` and ``failed`` bodies keep their links' tokens unredacted, so pruning is
what stops them being stored. A reset token's own expiry (``password_reset.token_ttl_minutes``) is
unaffected.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from authshift.mail.tables import email_outbox
from authshift.storage.pruning import BATCH_SIZE, delete_in_batches

__all__ = ["FINISHED_MAIL_STATUSES", "prune_mail"]

FINISHED_MAIL_STATUSES = ("logged", "sent", "failed")


async def prune_mail(engine: AsyncEngine, *, finished_before: datetime, batch_size: int = BATCH_SIZE) -> int:
    """Delete messages that were logged, sent, or given up on before ``finished_before``."""
    m = email_outbox.c
    # a failed message keeps the lease of its last attempt in next_attempt_at: just after it gave up
    finished_at = sa.func.coalesce(m.sent_at, m.next_attempt_at, m.created_at)
    return await delete_in_batches(
        engine, email_outbox,
        m.status.in_(FINISHED_MAIL_STATUSES),
        finished_at < finished_before,
        m.created_at < finished_before,  # implied by the line above, and lets the created_at index narrow the scan
        batch_size=batch_size,
    )
