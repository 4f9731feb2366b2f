"""A user's move from the legacy system: ``imported`` -> ``migrated``, announced once.

Every path that proves a user can now use authshift (sign-in with an imported password, lazy
migration, token exchange, an admin-minted session) calls ``mark_migrated``; the conditional
update makes the ``user.migrated`` event fire exactly once per user, even when two such paths
race. ``native`` users never came from a legacy system and stay ``native``.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from authshift.accounts.users import get_user
from authshift.events.outbox import emit
from authshift.storage.tables import users
from authshift.storage.types import utcnow

USER_MIGRATED = "user.migrated"


async def announce_migrated(
    conn: AsyncConnection, user_id: uuid.UUID, *, via: str, details: dict[str, Any] | None = None
) -> None:
    """Emit ``user.migrated`` for a user who has just become ``migrated`` (or was created so)."""
    user = await get_user(conn, user_id)
    await emit(conn, USER_MIGRATED, {"user": user, "via": via, **(details or {})}, subject=str(user_id))


async def mark_migrated(
    conn: AsyncConnection, user_id: uuid.UUID, *, via: str, details: dict[str, Any] | None = None,
    signed_in: bool = False,
) -> bool:
    """Move an ``imported`` user to ``migrated`` and emit ``user.migrated``; True if this call did it.

    ``signed_in``: the user is signing in now; ``last_login_at`` is set in the same update.
    """
    now = utcnow()
    result = await conn.execute(
        users.update()
        .where(users.c.id == user_id, users.c.migration_state == "imported")
        .values(migration_state="migrated", updated_at=now, **({"last_login_at": now} if signed_in else {}))
    )
    if not result.rowcount:
        return False
    await announce_migrated(conn, user_id, via=via, details=details)
    return True


async def record_login(conn: AsyncConnection, user_id: uuid.UUID) -> None:
    """A sign-in completed (a session was started): remember when."""
    await conn.execute(users.update().where(users.c.id == user_id).values(last_login_at=utcnow()))


async def record_sign_in(
    conn: AsyncConnection, user_id: uuid.UUID, migration_state: str, *, via: str, details: dict[str, Any] | None = None
) -> None:
    """A session is starting for the user: set ``last_login_at``, and move an ``imported`` user to
    ``migrated`` (one update when it is the first time)."""
    if migration_state == "imported" and await mark_migrated(conn, user_id, via=via, details=details, signed_in=True):
        return
    await record_login(conn, user_id)
