"""A user's move from the legacy system: ``imported`` -> ``migrated``, announced once.

Every path that proves a user can now use authshift (sign-in with an imported password, lazy
migration, token exchange, an admin-minted session) calls ``mark_migrated``; the conditional
update makes the ``user.migrated`` event fire exactly once per user, even when two such paths
race. ``native`` users never came from a legacy system and stay ``native``.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from authshift.accounts.rows import assemble_record
from authshift.accounts.users import get_user
from authshift.events.outbox import emit
from authshift.storage.combined import Write
from authshift.storage.tables import federated_identities, otp_factors, users
from authshift.storage.types import utcnow

USER_MIGRATED = "user.migrated"


def migrated_changes(now: datetime, *, signed_in: bool) -> dict[str, Any]:
    """What becoming ``migrated`` changes on the user's row (``signed_in``: and ``last_login_at``)."""
    return {"migration_state": "migrated", "updated_at": now, **({"last_login_at": now} if signed_in else {})}


def migrated_event_data(user: dict[str, Any], *, via: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    """The data of ``user.migrated``: the user's record (as ``get_user`` gives it), ``via`` and details."""
    return {"user": user, "via": via, **(details or {})}


async def announce_migrated(
    conn: AsyncConnection, user_id: uuid.UUID, *, via: str, details: dict[str, Any] | None = None
) -> None:
    """Emit ``user.migrated`` for a user who has just become ``migrated`` (or was created so)."""
    user = await get_user(conn, user_id)
    await emit(conn, USER_MIGRATED, migrated_event_data(user, via=via, details=details), subject=str(user_id))


async def mark_migrated(
    conn: AsyncConnection, user_id: uuid.UUID, *, via: str, details: dict[str, Any] | None = None,
    signed_in: bool = False,
) -> bool:
    """Move an ``imported`` user to ``migrated`` and emit ``user.migrated``; True if this call did it.

    ``signed_in``: the user is signing in now; ``last_login_at`` is set in the same update.
    """
    result = await conn.execute(
        users.update()
        .where(users.c.id == user_id, users.c.migration_state == "imported")
        .values(**migrated_changes(utcnow(), signed_in=signed_in))
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


# --- the same, for callers that write the sign-in together with their other rows ----------------


def sign_in_changes(migration_state: str, now: datetime) -> dict[str, Any]:
    """What ``record_sign_in`` changes on the row of a user in ``migration_state``."""
    return migrated_changes(now, signed_in=True) if migration_state == "imported" else {"last_login_at": now}


@functools.cache
def sign_in_write(name: str, *, imported: bool, unchanged: bool = False) -> Write:
    """The update of ``sign_in_changes`` for an ``imported`` user or another, built once, bound as
    ``<name>__<column>`` (``<name>__id``: the user). It returns the user's id; none when an imported
    user was no longer imported (the caller must hold the row's lock, and must refuse then:
    ``user.migrated`` is emitted once).

    ``unchanged``: for a caller that read the user without a lock, the update also requires the
    row to be as read (``unchanged_values``: same ``updated_at``, which every change of the user
    or their login IDs moves, same migration state, not disabled); it returns no row otherwise."""
    changes = sign_in_changes("imported" if imported else "migrated", utcnow())
    where = [users.c.id == sa.bindparam(f"{name}__id", type_=users.c.id.type)]
    if imported:
        where.append(users.c.migration_state == "imported")
    if unchanged:
        where += [
            users.c.updated_at == sa.bindparam(f"{name}__seen_updated_at", type_=users.c.updated_at.type),
            users.c.migration_state == sa.bindparam(f"{name}__seen_migration_state", type_=users.c.migration_state.type),
            users.c.disabled.is_(False),
        ]
    stmt = (
        users.update().where(*where)
        .values({col: sa.bindparam(f"{name}__{col}", type_=users.c[col].type) for col in changes})
        .returning(users.c.id)
    )
    return Write(name, stmt)


def sign_in_values(name: str, user_id: uuid.UUID, changes: Mapping[str, Any]) -> dict[str, Any]:
    return {f"{name}__id": user_id, **{f"{name}__{col}": value for col, value in changes.items()}}


def unchanged_values(name: str, user: Mapping[str, Any]) -> dict[str, Any]:
    """The bind values of ``sign_in_write(..., unchanged=True)``: the user's row as it was read."""
    return {f"{name}__seen_updated_at": user["updated_at"], f"{name}__seen_migration_state": user["migration_state"]}


_FEDERATED_AND_OTP = sa.union_all(
    sa.select(sa.literal("federated").label("part"), federated_identities.c.id, federated_identities.c.provider.label("a"),
              federated_identities.c.subject.label("b"), federated_identities.c.email.label("c"))
    .where(federated_identities.c.user_id == sa.bindparam("user_id", type_=users.c.id.type)),
    sa.select(sa.literal("otp"), otp_factors.c.id, otp_factors.c.channel, otp_factors.c.destination, sa.null())
    .where(otp_factors.c.user_id == sa.bindparam("user_id", type_=users.c.id.type)),
).order_by("part", "id")


def has_federated_or_otp(user_id: sa.ColumnElement[Any]) -> sa.ColumnElement[bool]:
    """Whether the user has federated identities or OTP factors, the part of their record that
    ``record_of_loaded_user`` reads: select it with the user's row to skip that read when false."""
    return sa.or_(
        sa.exists().where(federated_identities.c.user_id == user_id),
        sa.exists().where(otp_factors.c.user_id == user_id),
    )


async def record_of_loaded_user(
    conn: AsyncConnection, user: Mapping[str, Any], identities: Sequence[Mapping[str, Any]],
    *, federated_or_otp: bool = True,
) -> dict[str, Any]:
    """The user's record as ``get_user`` gives it, from their ``users`` row and identities
    (``kind``, ``raw``, ``verified``, in id order) already read: the rest of a record without
    secrets (federated identities, OTP factors) is read here in one query, unless the caller
    knows there is none (``federated_or_otp`` False, from ``has_federated_or_otp``)."""
    federated: list[dict[str, Any]] = []
    otp: list[dict[str, Any]] = []
    if federated_or_otp:
        for part, _id, a, b, c in (await conn.execute(_FEDERATED_AND_OTP, {"user_id": user["id"]})).all():
            if part == "federated":
                federated.append({"provider": a, "subject": b, "email": c})
            else:
                otp.append({"channel": a, "destination": b})
    return assemble_record(user, identities, federated, otp=otp)
