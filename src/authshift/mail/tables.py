"""The ``email_outbox`` table: every message authshift sends, written in the transaction that asks for it.

Without SMTP a row is the delivery (status ``logged``: operators and tests read it). With SMTP a
row starts ``pending`` and the mail worker moves it to ``sent`` or, after ``smtp.max_attempts``,
``failed``; once sent, the links' tokens in its body are redacted.
"""

from __future__ import annotations

import sqlalchemy as sa

from authshift.storage.tables import metadata
from authshift.storage.types import UtcDateTime

MAIL_STATUSES = ("logged", "pending", "sent", "failed")

email_outbox = sa.Table(
    "email_outbox",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("to_address", sa.Text, nullable=False),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("purpose", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("next_attempt_at", UtcDateTime),
    sa.Column("last_error", sa.Text),
    sa.Column("created_at", UtcDateTime, nullable=False, index=True),
    sa.Column("sent_at", UtcDateTime),
    sa.CheckConstraint(f"status IN {MAIL_STATUSES!r}", name="status"),
    sa.Index(None, "status", "next_attempt_at"),
)
