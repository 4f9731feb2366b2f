"""Who may enter the console: users granted the console role (``authshift users grant-console``).

A disabled user is never an operator, whatever the table says: disabling someone must shut every
door at once."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from authshift.accounts.users import find_user_id
from authshift.console.tables import console_operators, console_sessions
from authshift.errors import NotFound
from authshift.storage.tables import identities, users
from authshift.storage.types import utcnow


@dataclass(frozen=True)
class Operator:
    """The person using the console: their user id and the name the audit log shows."""

    user_id: uuid.UUID
    name: str

    @property
    def actor(self) -> str:
        """The audit log's ``actor`` for changes made through the console."""
        return f"console:{self.name}"


async def user_by_email(conn: AsyncConnection, email: str) -> uuid.UUID:
    user_id = await find_user_id(conn, email)
    if user_id is None:
        raise NotFound(f"no user signs in with {email!r}")
    return user_id


async def grant_console(conn: AsyncConnection, email: str, *, granted_by: str) -> tuple[uuid.UUID, bool]:
    """Make the user who signs in with ``email`` an operator; returns their id and whether this
    changed anything (granting twice is not an error)."""
    user_id = await user_by_email(conn, email)
    exists = (await conn.execute(sa.select(console_operators.c.user_id).where(console_operators.c.user_id == user_id))).first()
    if exists:
        return user_id, False
    await conn.execute(console_operators.insert().values(user_id=user_id, granted_at=utcnow(), granted_by=granted_by))
    return user_id, True


async def revoke_console(conn: AsyncConnection, email: str) -> tuple[uuid.UUID, bool]:
    """Take the console role away and end the user's console sessions at once."""
    user_id = await user_by_email(conn, email)
    removed = await conn.execute(console_operators.delete().where(console_operators.c.user_id == user_id))
    await conn.execute(console_sessions.delete().where(console_sessions.c.user_id == user_id))
    return user_id, bool(removed.rowcount)


async def operator_name(conn: AsyncConnection, user_id: uuid.UUID) -> str:
    """How the console and the audit log name a user: their email, else another login ID, else the id."""
    rows = (await conn.execute(
        sa.select(identities.c.kind, identities.c.raw).where(identities.c.user_id == user_id)
    )).all()
    by_kind = {kind: raw for kind, raw in rows}
    for kind in ("email", "preferred_username", "phone_number"):
        if by_kind.get(kind):
            return str(by_kind[kind])
    return str(user_id)


async def load_operator(conn: AsyncConnection, user_id: uuid.UUID) -> Operator | None:
    """The operator ``user_id`` is, or ``None`` when they hold no console role or are disabled."""
    query = (
        sa.select(users.c.disabled)
        .select_from(console_operators.join(users, users.c.id == console_operators.c.user_id))
        .where(console_operators.c.user_id == user_id)
    )
    disabled = (await conn.execute(query)).scalar()
    if disabled is None or disabled:
        return None
    return Operator(user_id=user_id, name=await operator_name(conn, user_id))
