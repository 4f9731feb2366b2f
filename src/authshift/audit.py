"""The audit log: who did what to which target. Details are redacted before they are stored."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from authshift.ids import uuid7
from authshift.security.redaction import redact
from authshift.storage.tables import audit_log
from authshift.storage.types import utcnow


def audit_row(*, actor: str, action: str, target: str | None = None, details: dict[str, Any] | None = None) -> dict[str, Any]:
    """The audit entry's row (for callers that write it together with other rows)."""
    return {"id": uuid7(), "at": utcnow(), "actor": actor, "action": action, "target": target,
            "details": redact(details or {})}


async def record_audit(
    conn: AsyncConnection, *, actor: str, action: str, target: str | None = None, details: dict[str, Any] | None = None
) -> None:
    await conn.execute(audit_log.insert(), audit_row(actor=actor, action=action, target=target, details=details))
