"""User services: the one code path for creating, reading, changing and removing users.

The admin API and the CLI both call these; they take an open connection and leave the
transaction to the caller, so an event written with ``emit`` commits or rolls back with the change.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from authshift import passwords
from authshift.accounts.context import AccountsContext
from authshift.accounts.login_ids import NORMALIZERS, candidates
from authshift.accounts.normalize import InvalidLoginId
from authshift.accounts.rows import LOGIN_ID_FIELDS, UserRows, assemble_record, build_user_rows, password_row, password_spec
from authshift.accounts.unique_keys import find_owners, keys_of_rows, taken
from authshift.accounts.updates import apply_user_updates, load_current, plan_user_update
from authshift.errors import Conflict, FieldError, InvalidInput, NotFound
from authshift.events.outbox import emit
from authshift.storage.tables import (
    federated_identities, identities, otp_factors, passwords as passwords_table, recovery_codes, totp_factors, users,
)
from authshift.storage.types import utcnow

MAX_PAGE = 500


async def stored_password_for(rec_password: Any, ctx: AccountsContext) -> passwords.StoredPassword | None:
    """Parse an imported hash (checking format and ceilings) or hash a new plain-text password."""
    if rec_password in (None, ""):
        return None
    if isinstance(rec_password, str):
        return await passwords.hash_password_async(rec_password)
    if isinstance(rec_password, Mapping) and "plaintext" in rec_password:
        return await passwords.hash_password_async(str(rec_password["plaintext"]))
    try:
        return passwords.parse(password_spec(rec_password), limits=ctx.limits, hash_configs=ctx.hash_configs)
    except passwords.PasswordFormatError as exc:
        raise InvalidInput("the password cannot be used", errors=[FieldError("password", str(exc))]) from None


async def insert_user_rows(conn: AsyncConnection, rows: UserRows) -> None:
    await conn.execute(users.insert(), [rows.user])
    for table, values in (
        (identities, rows.identities), (federated_identities, rows.federated), (totp_factors, rows.totp),
        (otp_factors, rows.otp), (recovery_codes, rows.recovery),
    ):
        if values:
            await conn.execute(table.insert(), values)
    if rows.password:
        await conn.execute(passwords_table.insert(), [rows.password])


async def _check_free(conn: AsyncConnection, rows: UserRows) -> None:
    """Raise ``Conflict`` naming the field when a login ID, external id, id or federated identity is taken."""
    keys = keys_of_rows(rows)
    errors = taken(await find_owners(conn, keys), keys, exclude_user=None)
    if errors:
        raise Conflict("the user conflicts with an existing user", errors=errors)


async def create_user(
    conn: AsyncConnection, rec: Mapping[str, Any], *, ctx: AccountsContext, migration_state: str = "native"
) -> uuid.UUID:
    """Create one user from a validated record; emits ``user.created``."""
    if not any(rec.get(f) for f in LOGIN_ID_FIELDS) and not rec.get("external_id"):
        raise InvalidInput("a user needs an email, phone_number, preferred_username or external_id")
    stored = await stored_password_for(rec.get("password"), ctx)
    try:
        rows = build_user_rows(rec, ctx=ctx, now=utcnow(), migration_state=migration_state, stored_password=stored)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    await _check_free(conn, rows)
    try:
        async with conn.begin_nested():
            await insert_user_rows(conn, rows)
    except IntegrityError:
        raise Conflict("the user conflicts with an existing user") from None
    user_id: uuid.UUID = rows.user["id"]
    await emit(conn, "user.created", {"user": await get_user(conn, user_id)}, subject=str(user_id))
    return user_id


async def load_records(
    conn: AsyncConnection,
    user_ids: Sequence[uuid.UUID],
    *,
    include_secrets: bool = False,
    ctx: AccountsContext | None = None,
) -> list[dict[str, Any]]:
    """Users as records, in the order of ``user_ids``, loading each related table once."""
    if not user_ids:
        return []
    ids = list(user_ids)
    user_rows = {r["id"]: r for r in (await conn.execute(sa.select(users).where(users.c.id.in_(ids)))).mappings()}

    async def grouped(table: sa.Table, *order: Any) -> dict[uuid.UUID, list[Mapping[str, Any]]]:
        out: dict[uuid.UUID, list[Mapping[str, Any]]] = {}
        q = sa.select(table).where(table.c.user_id.in_(ids)).order_by(*order)
        for r in (await conn.execute(q)).mappings():
            out.setdefault(r["user_id"], []).append(r)
        return out

    idents = await grouped(identities, identities.c.id)
    feds = await grouped(federated_identities, federated_identities.c.id)
    totps = await grouped(totp_factors, totp_factors.c.id)
    otps = await grouped(otp_factors, otp_factors.c.id)
    pws = await grouped(passwords_table, passwords_table.c.user_id) if include_secrets else {}
    records = []
    for uid in ids:
        if uid not in user_rows:
            continue
        pw = pws.get(uid)
        records.append(
            assemble_record(
                user_rows[uid], idents.get(uid, []), feds.get(uid, []), password=pw[0] if pw else None,
                totp=totps.get(uid, []), otp=otps.get(uid, []), ctx=ctx, include_secrets=include_secrets,
            )
        )
    return records


async def get_user(conn: AsyncConnection, user_id: uuid.UUID) -> dict[str, Any]:
    found = await load_records(conn, [user_id])
    if not found:
        raise NotFound(f"no user with id {user_id}")
    return found[0]


@dataclass(frozen=True)
class UserFilter:
    email: str | None = None
    external_id: str | None = None
    migration_state: str | None = None
    source: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None


def filter_conditions(f: UserFilter) -> list[Any]:
    conds: list[Any] = []
    if f.email:
        try:
            value = NORMALIZERS["email"](f.email)
        except InvalidLoginId as exc:
            raise InvalidInput(str(exc), errors=[FieldError("email", str(exc))]) from None
        conds.append(
            users.c.id.in_(sa.select(identities.c.user_id).where(identities.c.kind == "email", identities.c.value == value))
        )
    if f.external_id:
        conds.append(users.c.external_id == f.external_id)
    if f.migration_state:
        conds.append(users.c.migration_state == f.migration_state)
    if f.source:
        conds.append(users.c.source == f.source)
    if f.created_after:
        conds.append(users.c.created_at >= f.created_after)
    if f.created_before:
        conds.append(users.c.created_at < f.created_before)
    return conds


async def list_users(
    conn: AsyncConnection, f: UserFilter, *, limit: int = 50, after: uuid.UUID | None = None
) -> tuple[list[dict[str, Any]], uuid.UUID | None]:
    """One page of users ordered by id (time-ordered); returns the page and the next cursor."""
    limit = max(1, min(limit, MAX_PAGE))
    q = sa.select(users.c.id).where(*filter_conditions(f)).order_by(users.c.id).limit(limit + 1)
    if after is not None:
        q = q.where(users.c.id > after)
    ids = list((await conn.execute(q)).scalars())
    more = len(ids) > limit
    ids = ids[:limit]
    return await load_records(conn, ids), (ids[-1] if more else None)


async def _require(conn: AsyncConnection, user_id: uuid.UUID) -> Mapping[str, Any]:
    row = (await conn.execute(sa.select(users).where(users.c.id == user_id))).mappings().first()
    if row is None:
        raise NotFound(f"no user with id {user_id}")
    return row


async def update_user(
    conn: AsyncConnection, user_id: uuid.UUID, patch: Mapping[str, Any], *, ctx: AccountsContext
) -> dict[str, Any]:
    """Change the fields present in ``patch``; ``None`` removes a value. Emits ``user.updated``.

    The same planning and writing as import upserts (``accounts.updates``), for one user.
    """
    await _require(conn, user_id)
    current = (await load_current(conn, [user_id]))[user_id]
    stored = await stored_password_for(patch["password"], ctx) if patch.get("password") is not None else None
    try:
        plan = plan_user_update(current, patch, ctx=ctx, now=utcnow(), stored_password=stored)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    conflicts = taken(await find_owners(conn, plan.claimed), plan.claimed, exclude_user=user_id)
    if conflicts:
        raise Conflict("the user conflicts with an existing user", errors=conflicts)
    await apply_user_updates(conn, [plan])
    user = await get_user(conn, user_id)
    await emit(conn, "user.updated", {"user": user, "changed": plan.changed}, subject=str(user_id))
    if plan.password_changed:
        await emit(conn, "password.changed", {"user_id": str(user_id)}, subject=str(user_id))
    return user


async def set_password(
    conn: AsyncConnection, user_id: uuid.UUID, password: Any, *, ctx: AccountsContext, emit_event: bool = True,
    must_change: bool | None = None,
) -> None:
    """Replace (or, with ``None``, remove) a user's password: plain text is hashed, a hash is checked."""
    await conn.execute(passwords_table.delete().where(passwords_table.c.user_id == user_id))
    stored = await stored_password_for(password, ctx)
    if stored is not None:
        await conn.execute(passwords_table.insert(), [password_row(user_id, stored, password, utcnow(), must_change=must_change)])
    if emit_event:
        await emit(conn, "password.changed", {"user_id": str(user_id)}, subject=str(user_id))


async def set_disabled(conn: AsyncConnection, user_id: uuid.UUID, disabled: bool, reason: str | None = None) -> dict[str, Any]:
    await _require(conn, user_id)
    await conn.execute(
        users.update().where(users.c.id == user_id).values(
            disabled=disabled, disabled_reason=reason if disabled else None, updated_at=utcnow()
        )
    )
    user = await get_user(conn, user_id)
    await emit(conn, "user.disabled" if disabled else "user.enabled", {"user": user}, subject=str(user_id))
    return user


async def delete_user(conn: AsyncConnection, user_id: uuid.UUID) -> None:
    user = await get_user(conn, user_id)
    for table in (identities, federated_identities, passwords_table, totp_factors, otp_factors, recovery_codes):
        await conn.execute(table.delete().where(table.c.user_id == user_id))
    await conn.execute(users.delete().where(users.c.id == user_id))
    await emit(conn, "user.deleted", {"user": user}, subject=str(user_id))


async def find_user_id(conn: AsyncConnection, login_id: str) -> uuid.UUID | None:
    """The user a typed login ID belongs to (normalised the same way as at import), if any."""
    for cand in candidates(login_id):
        q = sa.select(identities.c.user_id).where(identities.c.kind == cand.kind, identities.c.value == cand.value)
        found = (await conn.execute(q)).scalar()
        if found is not None:
            return found  # type: ignore[no-any-return]
    return None
