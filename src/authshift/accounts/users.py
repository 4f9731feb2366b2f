"""User services: the one code path for creating, reading, changing and removing users.

The admin API and the CLI both call these; they take an open connection and leave the
transaction to the caller, so an event written with ``emit`` commits or rolls back with the change.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from authshift import passwords
from authshift.accounts.context import AccountsContext
from authshift.accounts.hash_config_store import export_hash_configs, externalized, stored_value_with_parameters
from authshift.accounts.login_ids import NORMALIZERS, candidates
from authshift.accounts.normalize import InvalidLoginId
from authshift.accounts.passkey_rows import WEBAUTHN_RECORD_COLUMNS
from authshift.accounts.passkey_tables import webauthn_credentials
from authshift.accounts.row_writer import write_user_rows
from authshift.accounts.rows import UserRows, assemble_record, build_user_rows, password_row, password_spec
from authshift.accounts.sources import DEFAULT_SOURCE
from authshift.accounts.unique_keys import find_owners, keys_of_rows, taken
from authshift.accounts.updates import apply_user_updates, load_current, plan_user_update
from authshift.errors import Conflict, FieldError, InvalidInput, NotFound
from authshift.events.outbox import emit
from authshift.migration.readiness import store as readiness_store
from authshift.passwords.assess import NEEDS_HASH_CONFIG
from authshift.records.fields import LOGIN_ID_FIELDS
from authshift.storage.db import is_postgres
from authshift.storage.tables import (
    federated_identities,
    identities,
    otp_factors,
    recovery_codes,
    totp_factors,
    users,
)
from authshift.storage.tables import (
    passwords as passwords_table,
)
from authshift.storage.types import utcnow

MAX_PAGE = 500


async def stored_password_for(rec_password: Any, ctx: AccountsContext,
                              conn: AsyncConnection | None = None) -> passwords.StoredPassword | None:
    """Parse an imported hash (checking format and ceilings) or hash a new plain-text password.

    With ``conn``, Firebase parameters given inline are kept apart, encrypted, and named."""
    if rec_password in (None, ""):
        return None
    if isinstance(rec_password, str):
        return await passwords.hash_password_async(rec_password)
    if isinstance(rec_password, Mapping) and "plaintext" in rec_password:
        return await passwords.hash_password_async(str(rec_password["plaintext"]))
    try:
        stored = passwords.parse(password_spec(rec_password), limits=ctx.limits, hash_configs=ctx.hash_configs)
    except passwords.PasswordFormatError as exc:
        raise InvalidInput("the password cannot be used", errors=[FieldError("password", str(exc))]) from None
    return await externalized(conn, ctx, stored) if conn is not None else stored


async def insert_user_rows(conn: AsyncConnection, rows: UserRows) -> None:
    """Insert one new user's rows, the way a bulk import inserts a batch (``row_writer``)."""
    await write_user_rows(conn, [rows])


async def _check_free(conn: AsyncConnection, rows: UserRows) -> None:
    """Raise ``Conflict`` naming the field when a login ID, external id, id or federated identity is taken."""
    keys = keys_of_rows(rows)
    errors = taken(await find_owners(conn, keys), keys, exclude_user=None)
    if errors:
        raise Conflict("the user conflicts with an existing user", errors=errors)


async def create_user(
    conn: AsyncConnection, rec: Mapping[str, Any], *, ctx: AccountsContext, migration_state: str = "native"
) -> uuid.UUID:
    """Create one user from a validated record; emits ``user.created``.

    A record without a ``source`` is in the default source (``accounts.sources``)."""
    if not any(rec.get(f) for f in LOGIN_ID_FIELDS) and not rec.get("external_id"):
        raise InvalidInput("a user needs an email, phone_number, preferred_username or external_id")
    if not rec.get("source"):
        rec = {**rec, "source": DEFAULT_SOURCE}
    stored = await stored_password_for(rec.get("password"), ctx, conn)
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
    await readiness_store.refresh(conn, [user_id], ctx, fresh={user_id: readiness_store.family_named(rec.get("password"))})
    await emit(conn, "user.created", {"user": await get_user(conn, user_id)}, subject=str(user_id))
    return user_id


# --- reading users as records -------------------------------------------------------------------
#
# Ids are read as the driver returns them (32 hex characters on SQLite, a UUID on PostgreSQL) and
# turned into text once per user: building UUID objects for every related row is a measurable
# share of an export of a million users. Each related table is read once per batch of users.

_RELATED_COLUMNS: dict[str, tuple[sa.Table, tuple[str, ...]]] = {
    "identities": (identities, ("kind", "raw", "verified")),
    "federated": (federated_identities, ("provider", "subject", "email")),
    "totp": (totp_factors, ("secret_encrypted", "algorithm", "digits", "period")),
    "otp": (otp_factors, ("channel", "destination")),
    "webauthn": (webauthn_credentials, WEBAUTHN_RECORD_COLUMNS),
}
_PASSWORD_COLUMNS = ("format", "value", "must_change", "expire_at")
WITHHELD_PASSWORD, WITHHELD_TOTP, WITHHELD_RECOVERY_CODES = "password", "mfa.totp", "mfa.recovery_codes"
WITHHELD_HASH_PARAMETERS = "password.hash_config"  # of the passwords left out, those whose parameters are a secret


def _raw_id(column: Any, label: str = "key") -> Any:
    return sa.type_coerce(column, sa.String).label(label)


def id_text(raw: Any) -> str:
    """A user id as the driver returned it, as the canonical UUID text."""
    if type(raw) is str and len(raw) == 32:
        return f"{raw[:8]}-{raw[8:12]}-{raw[12:16]}-{raw[16:20]}-{raw[20:]}"
    return str(raw)


def _as_uuid(raw: Any) -> uuid.UUID:
    return raw if isinstance(raw, uuid.UUID) else uuid.UUID(str(raw))


@dataclass
class _Related:
    """The related rows of a batch of users, grouped by raw user id."""

    rows: dict[str, dict[Any, list[dict[str, Any]]]]
    passwords: dict[Any, dict[str, Any]]
    recovery_codes: dict[Any, int]


async def _grouped(conn: AsyncConnection, table: sa.Table, names: Sequence[str], scope: Any) -> dict[Any, list[dict[str, Any]]]:
    q = sa.select(_raw_id(table.c.user_id), *(table.c[n] for n in names)).where(scope(table)).order_by(table.c.id)
    out: dict[Any, list[dict[str, Any]]] = {}
    for key, *values in (await conn.execute(q)).all():
        item = dict(zip(names, values, strict=False))
        found = out.get(key)
        if found is None:
            out[key] = [item]
        else:
            found.append(item)
    return out


async def _load_related(conn: AsyncConnection, scope: Any, *, include_secrets: bool,
                        ctx: AccountsContext | None = None) -> _Related:
    """Each related table read once for the users ``scope(table)`` selects. With secrets, a
    password that names a Firebase project's parameters carries them inline (the export of a
    password must verify on an authshift that does not know the name)."""
    rows = {name: await _grouped(conn, table, names, scope) for name, (table, names) in _RELATED_COLUMNS.items()}
    pw_names = _PASSWORD_COLUMNS if include_secrets else ()
    q = sa.select(_raw_id(passwords_table.c.user_id), *(passwords_table.c[n] for n in pw_names)).where(scope(passwords_table))
    pws = {key: dict(zip(pw_names, values, strict=False)) for key, *values in (await conn.execute(q)).all()}
    named = [pw for pw in pws.values() if pw.get("format") in NEEDS_HASH_CONFIG]
    if named:
        configs = await export_hash_configs(conn, ctx)
        for pw in named:
            pw["value"] = stored_value_with_parameters(str(pw["value"]), configs)
    q = (
        sa.select(_raw_id(recovery_codes.c.user_id), sa.func.count())
        .where(scope(recovery_codes), recovery_codes.c.used_at.is_(None))
        .group_by(recovery_codes.c.user_id)
    )
    codes = {key: int(count) for key, count in (await conn.execute(q)).all()}
    return _Related(rows, pws, codes)


_USER_COLUMNS = tuple(c.name for c in users.columns if c.name != "id")


def _user_query() -> sa.Select[Any]:
    return sa.select(_raw_id(users.c.id), *(users.c[n] for n in _USER_COLUMNS))


def _assemble(
    user_rows: Sequence[Sequence[Any]], related: _Related, *, include_secrets: bool, ctx: AccountsContext | None,
) -> list[dict[str, Any]]:
    idents, feds, totps, otps, passkeys = (related.rows[n] for n in ("identities", "federated", "totp", "otp", "webauthn"))
    empty: list[dict[str, Any]] = []
    records = []
    for key, *values in user_rows:
        user = dict(zip(_USER_COLUMNS, values, strict=False))
        user["id"] = id_text(key)
        records.append(
            assemble_record(
                user, idents.get(key, empty), feds.get(key, empty), password=related.passwords.get(key),
                totp=totps.get(key, empty), otp=otps.get(key, empty), ctx=ctx, include_secrets=include_secrets,
                webauthn=passkeys.get(key, empty),
            )
        )
    return records


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
    found = (await conn.execute(_user_query().where(users.c.id.in_(ids)))).all()
    related = await _load_related(conn, lambda t: t.c.user_id.in_(ids), include_secrets=include_secrets, ctx=ctx)
    by_id = {r["id"]: r for r in _assemble(found, related, include_secrets=include_secrets, ctx=ctx)}
    return [by_id[str(uid)] for uid in ids if str(uid) in by_id]


async def read_record_batches(
    conn: AsyncConnection,
    *,
    where: Sequence[Any] = (),
    include_secrets: bool = False,
    ctx: AccountsContext | None = None,
    batch_size: int = 5000,
) -> AsyncIterator[list[dict[str, Any]]]:
    """Every user matching ``where`` as records, oldest id first, in batches (flat memory).

    Keyset pagination by id up to the highest id present when it starts, so users created while
    it runs are not half-included; run it in one read-only transaction (``snapshot``) for a
    consistent view of users that change meanwhile.
    """
    upper = (await conn.execute(sa.select(users.c.id).order_by(users.c.id.desc()).limit(1))).scalar()  # no max(uuid) in PostgreSQL
    after: uuid.UUID | None = None
    while upper is not None:
        q = _user_query().where(users.c.id <= upper, *where).order_by(users.c.id).limit(batch_size)
        if after is not None:
            q = q.where(users.c.id > after)
        found = (await conn.execute(q)).all()
        if not found:
            return
        low, high = after, _as_uuid(found[-1][0])

        def scope(table: sa.Table, low: uuid.UUID | None = low, high: uuid.UUID = high) -> Any:
            bounds = [users.c.id <= high] if low is None else [users.c.id > low, users.c.id <= high]
            if where:  # only the matching users: a selective filter must not read every row in range
                return table.c.user_id.in_(sa.select(users.c.id).where(*bounds, *where))
            column = table.c.user_id
            return sa.and_(column <= high) if low is None else sa.and_(column > low, column <= high)

        related = await _load_related(conn, scope, include_secrets=include_secrets, ctx=ctx)
        yield _assemble(found, related, include_secrets=include_secrets, ctx=ctx)
        if len(found) < batch_size:
            return
        after = high


async def count_withheld(conn: AsyncConnection, *, where: Sequence[Any] = (), include_secrets: bool = False) -> Counter[str]:
    """How many of the users ``where`` selects have a secret that an export of their records leaves
    out: password hashes and TOTP factors without ``include_secrets`` (and, among those passwords,
    Firebase ones, whose project parameters hold a secret signer key), unused recovery codes always
    (they are stored as one-way digests). Counted in the database, in the caller's snapshot."""

    def of_users(table: sa.Table) -> list[Any]:
        return [table.c.user_id.in_(sa.select(users.c.id).where(*where))] if where else []

    queries = {  # a user has one password row at most; several TOTP factors or recovery codes
        WITHHELD_RECOVERY_CODES: sa.select(sa.func.count(sa.distinct(recovery_codes.c.user_id))).where(
            recovery_codes.c.used_at.is_(None), *of_users(recovery_codes)
        ),
    }
    if not include_secrets:
        queries[WITHHELD_PASSWORD] = sa.select(sa.func.count()).select_from(passwords_table).where(*of_users(passwords_table))
        queries[WITHHELD_HASH_PARAMETERS] = sa.select(sa.func.count()).select_from(passwords_table).where(
            passwords_table.c.format.in_(sorted(NEEDS_HASH_CONFIG)), *of_users(passwords_table))
        queries[WITHHELD_TOTP] = sa.select(sa.func.count(sa.distinct(totp_factors.c.user_id))).where(*of_users(totp_factors))
    counts: Counter[str] = Counter()
    for key, query in queries.items():
        count = int((await conn.execute(query)).scalar_one())
        if count:
            counts[key] = count
    return counts


@asynccontextmanager
async def snapshot(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A read-only transaction that sees one consistent state of the database for its whole life
    (PostgreSQL: REPEATABLE READ; SQLite: one deferred read transaction, which in WAL mode reads
    one snapshot and never blocks writers)."""
    async with engine.connect() as conn:
        if is_postgres(conn):
            conn = await conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        else:
            conn = await conn.execution_options(readonly=True)
        async with conn.begin():
            yield conn


async def get_user(conn: AsyncConnection, user_id: uuid.UUID) -> dict[str, Any]:
    found = await load_records(conn, [user_id])
    if not found:
        raise NotFound(f"no user with id {user_id}")
    return found[0]


@dataclass(frozen=True)
class UserFilter:
    """Which users to list or export; every condition given must hold. Ranges include their
    start (``*_after``) and exclude their end (``*_before``); ``role`` and ``group`` match users
    whose roles or groups contain that name."""

    email: str | None = None
    external_id: str | None = None
    migration_state: str | None = None
    source: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    updated_after: datetime | None = None
    updated_before: datetime | None = None
    role: str | None = None
    group: str | None = None


def json_array_contains(column: Any, value: str, dialect: str) -> Any:
    """``value`` is an element of the JSON array in ``column`` (PostgreSQL jsonb ``@>``, which an
    index can serve; SQLite ``json_each``)."""
    if dialect == "postgresql":
        return column.op("@>")(sa.func.jsonb_build_array(sa.literal(value, sa.Text)))
    elements = sa.func.json_each(column).table_valued("value").alias("elements")
    return sa.exists(sa.select(sa.literal(1)).select_from(elements).where(elements.c.value == value))


def filter_conditions(f: UserFilter, *, dialect: str) -> list[Any]:
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
    for column, after, before in (
        (users.c.created_at, f.created_after, f.created_before),
        (users.c.updated_at, f.updated_after, f.updated_before),
    ):
        if after:
            conds.append(column >= after)
        if before:
            conds.append(column < before)
    if f.role:
        conds.append(json_array_contains(users.c.roles, f.role, dialect))
    if f.group:
        conds.append(json_array_contains(users.c.groups, f.group, dialect))
    return conds


async def list_users(
    conn: AsyncConnection, f: UserFilter, *, limit: int = 50, after: uuid.UUID | None = None
) -> tuple[list[dict[str, Any]], uuid.UUID | None]:
    """One page of users ordered by id (time-ordered); returns the page and the next cursor."""
    limit = max(1, min(limit, MAX_PAGE))
    q = sa.select(users.c.id).where(*filter_conditions(f, dialect=conn.dialect.name)).order_by(users.c.id).limit(limit + 1)
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
    stored = await stored_password_for(patch["password"], ctx, conn) if patch.get("password") is not None else None
    try:
        plan = plan_user_update(current, patch, ctx=ctx, now=utcnow(), stored_password=stored)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    conflicts = taken(await find_owners(conn, plan.claimed), plan.claimed, exclude_user=user_id)
    if conflicts:
        raise Conflict("the user conflicts with an existing user", errors=conflicts)
    await apply_user_updates(conn, [plan])
    fresh = {user_id: readiness_store.family_named(patch["password"])} if plan.password_changed else None
    await readiness_store.refresh(conn, [user_id], ctx, fresh=fresh)
    user = await get_user(conn, user_id)
    await emit(conn, "user.updated", {"user": user, "changed": plan.changed}, subject=str(user_id))
    if plan.password_changed:
        await emit(conn, "password.changed", {"user_id": str(user_id), "user": user}, subject=str(user_id))
    return user


async def set_password(
    conn: AsyncConnection, user_id: uuid.UUID, password: Any, *, ctx: AccountsContext, emit_event: bool = True,
    must_change: bool | None = None,
) -> None:
    """Replace (or, with ``None``, remove) a user's password: plain text is hashed, a hash is checked."""
    await conn.execute(passwords_table.delete().where(passwords_table.c.user_id == user_id))
    stored = await stored_password_for(password, ctx, conn)
    if stored is not None:
        await conn.execute(passwords_table.insert(), [password_row(user_id, stored, password, utcnow(), must_change=must_change)])
    if stored is not None:
        await conn.execute(users.update().where(users.c.id == user_id).values(password_migration=None))
    await readiness_store.refresh(conn, [user_id], ctx, fresh={user_id: readiness_store.family_named(password)})
    if emit_event:
        await emit(conn, "password.changed", {"user_id": str(user_id), "user": await get_user(conn, user_id)}, subject=str(user_id))


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
