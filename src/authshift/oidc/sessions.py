"""Sessions: who is signed in, since when (``auth_time``) and how (``amr``, RFC 8176).

A ``browser`` session is created by the hosted login and named by the session cookie; it gives
single sign-on across clients until it expires or is revoked (logout). A ``client`` session is
created by a grant for one client (token exchange, the admin API); it lives as long as its grants.
Sessions are rows in the database, so every process sharing it sees the same ones.

Revoking a session revokes every grant made in it (so their refresh tokens stop working and
their access tokens introspect as inactive). The cookie holds the session id signed with the
instance's secret key: a forged or altered cookie names no session.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from authshift.ids import uuid7
from authshift.oidc.tables import grants, sessions
from authshift.security.signing import BadSignature, Signer
from authshift.storage.tables import users
from authshift.storage.types import utcnow

COOKIE_PURPOSE = "session-cookie"


@dataclass(frozen=True)
class Session:
    id: uuid.UUID
    user_id: uuid.UUID
    kind: str
    auth_time: datetime
    amr: tuple[str, ...]
    expires_at: datetime | None
    client_id: str | None = None


def session_from_row(row: Mapping[str, Any]) -> Session:
    return Session(
        id=row["id"], user_id=row["user_id"], kind=row["kind"], auth_time=row["auth_time"],
        amr=tuple(row["amr"] or ()), expires_at=row["expires_at"], client_id=row["client_id"],
    )


async def create_session(conn: AsyncConnection, row: Mapping[str, Any]) -> Session:
    """Store a new session (its row from ``session_row``)."""
    await conn.execute(sessions.insert(), row)
    return session_from_row(row)


def session_row(
    user_id: uuid.UUID,
    *,
    kind: str,
    amr: Sequence[str],
    auth_time: datetime | None = None,
    ttl_seconds: int | None = None,
    client_id: str | None = None,
    ip: str | None = None,
    user_agent: str | None = None,
) -> dict[str, Any]:
    """A new session's row (``create_session`` stores it; a caller may store it with other rows)."""
    now = utcnow()
    return {
        "id": uuid7(), "user_id": user_id, "kind": kind, "client_id": client_id, "created_at": now,
        "auth_time": auth_time or now, "amr": list(amr),
        "expires_at": now + timedelta(seconds=ttl_seconds) if ttl_seconds else None,
        "revoked_at": None, "revoked_reason": None, "ip": ip, "user_agent": (user_agent or "")[:512] or None,
    }


async def reauthenticate(conn: AsyncConnection, session_id: uuid.UUID, amr: Sequence[str]) -> None:
    """The same user signed in again in this browser: new ``auth_time`` and methods, same session."""
    await conn.execute(sessions.update().where(sessions.c.id == session_id).values(auth_time=utcnow(), amr=list(amr)))


async def get_session(conn: AsyncConnection, session_id: uuid.UUID) -> Session | None:
    """The session whatever its state (for its ``auth_time`` and ``amr``)."""
    row = (await conn.execute(sa.select(sessions).where(sessions.c.id == session_id))).mappings().first()
    return session_from_row(row) if row else None


async def get_active_session(conn: AsyncConnection, session_id: uuid.UUID) -> Session | None:
    """The session, when it is neither revoked nor expired and its user is not disabled."""
    row = (
        await conn.execute(
            sa.select(sessions)
            .join(users, users.c.id == sessions.c.user_id)
            .where(sessions.c.id == session_id, sessions.c.revoked_at.is_(None), users.c.disabled.is_(False))
        )
    ).mappings().first()
    if row is None:
        return None
    if row["expires_at"] is not None and row["expires_at"] <= utcnow():
        return None
    return session_from_row(row)


async def revoke_session(conn: AsyncConnection, session_id: uuid.UUID, reason: str) -> None:
    """End a session and every grant made in it."""
    now = utcnow()
    await conn.execute(
        sessions.update().where(sessions.c.id == session_id, sessions.c.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=reason)
    )
    await conn.execute(
        grants.update().where(grants.c.session_id == session_id, grants.c.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=reason)
    )


def cookie_value(secret_key: bytes, session: Session, ttl_seconds: int) -> str:
    return Signer(secret_key, COOKIE_PURPOSE).sign({"sid": str(session.id)}, ttl_seconds=ttl_seconds)


def session_id_from_cookie(secret_key: bytes, value: str | None) -> uuid.UUID | None:
    if not value:
        return None
    try:
        return uuid.UUID(Signer(secret_key, COOKIE_PURPOSE).unsign(value)["sid"])
    except (BadSignature, KeyError, ValueError, TypeError):
        return None
