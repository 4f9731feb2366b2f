"""Queue an email inside the caller's transaction: a row in ``email_outbox``, and a log line.

The row commits or rolls back with the change that asked for the message (a reset link is never
mailed for a token that was not stored). The log line never carries a link's token.
"""

from __future__ import annotations

import re
import uuid

from sqlalchemy.ext.asyncio import AsyncConnection

from authshift.config import SmtpSettings
from authshift.ids import uuid7
from authshift.logs import REDACTED, get_logger
from authshift.mail.tables import email_outbox
from authshift.storage.types import utcnow

__all__ = ["queue_email", "redact_links"]

log = get_logger("authshift.mail")

_LINK_SECRET = re.compile(r"([?&](?:token|code)=)[^&\s#]+")


def redact_links(text: str) -> str:
    """``text`` with the values of ``token=`` and ``code=`` query parameters replaced."""
    return _LINK_SECRET.sub(lambda m: m.group(1) + REDACTED, text)


async def queue_email(
    conn: AsyncConnection, smtp: SmtpSettings, *, to: str, subject: str, body: str, purpose: str
) -> uuid.UUID:
    """Record a message for ``to``. With SMTP configured it is ``pending`` until the mail worker (or
    ``deliver_due``) sends it; without, it is ``logged``: the row and the log line are the delivery."""
    message_id = uuid7()
    now = utcnow()
    status = "pending" if smtp.enabled else "logged"
    await conn.execute(
        email_outbox.insert().values(
            id=message_id, to_address=to, subject=subject, body=body, purpose=purpose, status=status,
            attempts=0, next_attempt_at=now if smtp.enabled else None, created_at=now,
        )
    )
    if smtp.enabled:
        log.info("email queued", message_id=str(message_id), to=to, purpose=purpose, subject=subject)
    else:
        log.info(
            "email not sent (no smtp.host configured); written to the email_outbox table",
            message_id=str(message_id), to=to, purpose=purpose, subject=subject, text=redact_links(body),
        )
    return message_id
