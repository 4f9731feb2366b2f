"""Undoing an import job: remove the users it inserted, put back what its updates replaced.

At update time (``save_previous``, in the batch's transaction) the job keeps, per user it
updates, the stored values the update is about to replace: the changed ``users`` columns and,
when touched, the user's whole login IDs, password, federated identities and second factors
(secrets stay as stored: encrypted or digested). ``plan_undo`` / ``undo_job`` then:

- remove users the job inserted who have not signed in or changed since the job;
- restore users the job updated who have not signed in or changed since;
- list, never touch, the others ("signed in since" / "changed since").

"Signed in since": ``last_login_at`` after the job started, or a sign-in proved their credentials
after it (``user_readiness.proved_at``). "Changed since": ``updated_at`` after the job finished.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from authshift.accounts.updates import UpdatePlan
from authshift.storage.bulk import in_values
from authshift.storage.tables import (
    federated_identities,
    identities,
    otp_factors,
    recovery_codes,
    totp_factors,
    users,
)
from authshift.storage.tables import passwords as passwords_table
from authshift.storage.types import UtcDateTime

__all__ = ["restore_previous", "save_previous"]

# plan part -> the tables whose rows it replaces
_PARTS: dict[str, tuple[sa.Table, ...]] = {
    "identities": (identities,),
    "password": (passwords_table,),
    "federated": (federated_identities,),
    "mfa": (totp_factors, otp_factors, recovery_codes),
}


def _out(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def _in(table: sa.Table, column: str, value: Any) -> Any:
    if value is None:
        return None
    kind = table.c[column].type
    if isinstance(kind, UtcDateTime):
        return datetime.fromisoformat(value)
    if isinstance(kind, sa.Uuid):
        return uuid.UUID(value)
    return value


def _parts(plan: UpdatePlan) -> list[str]:
    parts = []
    if plan.identity_deletes or plan.identity_updates or plan.identity_inserts:
        parts.append("identities")
    if plan.password_changed:
        parts.append("password")
    if plan.federated is not None:
        parts.append("federated")
    if plan.mfa is not None:
        parts.append("mfa")
    return parts


async def save_previous(conn: AsyncConnection, job_id: uuid.UUID, plans: Sequence[UpdatePlan]) -> None:
    """Keep what ``plans`` are about to replace (before ``apply_user_updates``, same transaction)."""
    if not plans:
        return
    from authshift.migration.readiness.tables import import_previous

    d = conn.dialect
    ids = [p.user_id for p in plans]
    current = {row["id"]: row for row in (await conn.execute(
        sa.select(users).where(in_values(d, users.c.id, ids)))).mappings()}
    related: dict[tuple[str, uuid.UUID], list[dict[str, Any]]] = {}
    wanted = {part for p in plans for part in _parts(p)}
    for part in wanted:
        for table in _PARTS[part]:
            for row in (await conn.execute(sa.select(table).where(in_values(d, table.c.user_id, ids)))).mappings():
                related.setdefault((table.name, row["user_id"]), []).append({k: _out(v) for k, v in row.items()})
    rows = []
    for plan in plans:
        user = current.get(plan.user_id)
        if user is None:
            continue
        previous: dict[str, Any] = {"users": {c: _out(user[c]) for c in plan.values}}
        for part in _parts(plan):
            for table in _PARTS[part]:
                previous[table.name] = related.get((table.name, plan.user_id), [])
        rows.append({"job_id": job_id, "user_id": plan.user_id, "previous": previous})
    if rows:
        await conn.execute(import_previous.insert(), rows)


_TABLES = {t.name: t for ts in _PARTS.values() for t in ts}


async def restore_previous(conn: AsyncConnection, user_id: uuid.UUID, previous: Mapping[str, Any]) -> None:
    """Put back what ``save_previous`` kept for one user (the caller handles unique conflicts)."""
    values = {c: _in(users, c, v) for c, v in previous["users"].items()}
    if values:
        await conn.execute(users.update().where(users.c.id == user_id).values(**values))
    for name, rows in previous.items():
        if name == "users":
            continue
        table = _TABLES[name]
        await conn.execute(table.delete().where(table.c.user_id == user_id))
        if rows:
            await conn.execute(table.insert(), [{k: _in(table, k, v) for k, v in row.items()} for row in rows])
