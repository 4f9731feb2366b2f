"""Changing existing users: the one logic behind the admin PATCH (one user) and import upserts
(thousands per batch).

``plan_user_update`` is pure: from a user's current login IDs and a patch (a record in the JSON
shape, where a field set to ``None`` removes the value) it works out the rows to write.
``load_current`` reads what planning needs for many users at once, ``apply_user_updates``
writes many plans with a handful of statements. Conflicts (a login ID taken by someone else) are
checked by the callers with ``unique_keys.find_owners`` on ``plan.claimed``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from authshift.accounts.context import AccountsContext
from authshift.accounts.passkey_rows import webauthn_rows
from authshift.accounts.passkey_tables import webauthn_credentials
from authshift.accounts.rows import (
    federated_rows,
    identity_rows,
    mfa_rows,
    parse_time,
    password_row,
)
from authshift.accounts.unique_keys import Key, external_id_key
from authshift.errors import FieldError, InvalidInput
from authshift.passwords import StoredPassword
from authshift.records.fields import CLAIM_COLUMNS, LOGIN_ID_FIELDS
from authshift.storage.bulk import in_values
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

__all__ = [
    "CurrentUser",
    "IMPORT_UPDATABLE_FIELDS",
    "PATCHABLE_USER_FIELDS",
    "UpdatePlan",
    "apply_user_updates",
    "load_current",
    "plan_user_update",
]

PATCHABLE_USER_FIELDS = (
    *CLAIM_COLUMNS, "custom_attributes", "roles", "groups", "external_id", "source", "disabled", "disabled_reason",
)
# An import may also set what only the old system knew (and an export carries).
IMPORT_UPDATABLE_FIELDS = (
    *PATCHABLE_USER_FIELDS, "created_at", "last_login_at", "migration_state", "password_migration",
)
_TIME_FIELDS = frozenset({"created_at", "last_login_at"})
KEPT_PASSWORD = ('ignored: the user has a password here, which a record without one does not replace; '
                 'to replace it, give "password": null with password_migration')


@dataclass
class CurrentUser:
    """What planning a change needs to know about a user as stored."""

    user_id: uuid.UUID
    identities: list[Mapping[str, Any]] = field(default_factory=list)
    external_id: str | None = None
    federated: list[tuple[str, str]] = field(default_factory=list)
    source: str | None = None
    has_password: bool = False


@dataclass
class UpdatePlan:
    user_id: uuid.UUID
    values: dict[str, Any]
    changed: list[str]
    identity_deletes: list[uuid.UUID] = field(default_factory=list)
    identity_updates: list[dict[str, Any]] = field(default_factory=list)
    identity_inserts: list[dict[str, Any]] = field(default_factory=list)
    password_changed: bool = False
    password: dict[str, Any] | None = None  # the new row when password_changed (None: removed)
    federated: list[dict[str, Any]] | None = None  # replacement rows; None: untouched
    mfa: tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]] | None = None
    webauthn: list[dict[str, Any]] | None = None  # replacement passkeys when mfa is given; None: untouched
    claimed: list[Key] = field(default_factory=list)  # unique keys the user holds after the change
    released: list[Key] = field(default_factory=list)  # unique keys the user gives up
    ignored: list[tuple[str, str]] = field(default_factory=list)  # (field, why): what the patch said, not done


def _column_value(key: str, value: Any) -> Any:
    if key == "custom_attributes":
        return dict(value or {})
    if key in ("roles", "groups"):
        return list(value or [])
    if key == "disabled":
        return bool(value)
    if key in _TIME_FIELDS:
        return parse_time(value)
    return value


def _plan_login_id(plan: UpdatePlan, current: Mapping[str, Any] | None, kind: str, patch: Mapping[str, Any],
                   now: datetime) -> None:
    flag = LOGIN_ID_FIELDS[kind]
    if kind in patch and not patch[kind]:
        if current is not None:
            plan.identity_deletes.append(current["id"])
            plan.released.append((kind, current["value"]))
        return
    raw = patch.get(kind, current["raw"] if current else None)
    if raw is None:
        return
    verified = patch.get(flag, current["verified"] if current else False) if flag else True
    if kind in patch and current is not None and flag and flag not in patch and raw != current["raw"]:
        verified = False  # a new address is not verified until someone says so
    new = identity_rows({kind: raw, **({flag: verified} if flag else {})}, plan.user_id, now)[0]
    plan.claimed.append((kind, new["value"]))
    if current is None:
        plan.identity_inserts.append(new)
        return
    if current["value"] != new["value"]:
        plan.released.append((kind, current["value"]))
    plan.identity_updates.append({"id": current["id"], "value": new["value"], "raw": raw, "verified": bool(verified)})


def plan_user_update(
    current: CurrentUser,
    patch: Mapping[str, Any],
    *,
    ctx: AccountsContext,
    now: datetime,
    stored_password: StoredPassword | None = None,
    fields: Sequence[str] = PATCHABLE_USER_FIELDS,
) -> UpdatePlan:
    """The rows that change ``current`` as ``patch`` says (fields absent from it stay as they are).

    ``stored_password`` is the parsed or hashed form of ``patch["password"]`` (when present and
    not ``None``). Raises ``InvalidInput`` for a login ID that cannot be normalised and
    ``ValueError`` for an unreadable TOTP secret.
    """
    uid = current.user_id
    values = {key: _column_value(key, patch[key]) for key in fields if key in patch}
    values["updated_at"] = now
    plan = UpdatePlan(uid, values, changed=sorted(k for k in patch if k != "password"))
    # An external id is unique per source: changing either one moves the user's key.
    new_source, new_external = values.get("source", current.source), values.get("external_id", current.external_id)
    if (new_source, new_external) != (current.source, current.external_id):
        if "source" in values and new_source is None:
            raise InvalidInput("a user always has a source", errors=[FieldError("source", "cannot be removed")])
        if new_external is not None:
            plan.claimed.append(external_id_key(new_source, new_external))
        if current.external_id is not None:
            plan.released.append(external_id_key(current.source, current.external_id))
    by_kind = {row["kind"]: row for row in current.identities}
    for kind, flag in LOGIN_ID_FIELDS.items():
        if kind in patch or (flag and flag in patch):
            _plan_login_id(plan, by_kind.get(kind), kind, patch, now)
    if values.get("password_migration") and "password" not in patch and current.has_password:
        # A record without a password (a hash-less export) never contradicts a working one: the
        # user would hold a hash and "verify me elsewhere" at once. "password": null says "remove it".
        del values["password_migration"]
        plan.ignored.append(("password_migration", KEPT_PASSWORD))
    if "password" in patch:
        plan.password_changed = True
        if patch["password"] is not None:
            if stored_password is None:
                raise ValueError("a password given without its parsed form")
            plan.password = password_row(uid, stored_password, patch["password"], now)
            values["password_migration"] = None  # the password is here now: no legacy check or reset
    if "identities" in patch:
        plan.federated = federated_rows(patch, uid, now)
        new_pairs = {(f["provider"], f["subject"]) for f in plan.federated}
        plan.claimed.extend(("identity", pair) for pair in sorted(new_pairs))
        plan.released.extend(("identity", pair) for pair in current.federated if pair not in new_pairs)
    if "mfa" in patch:
        plan.mfa = mfa_rows(patch["mfa"], uid, now, ctx)
        plan.webauthn = webauthn_rows((patch["mfa"] or {}).get("webauthn"), uid, now, ctx.webauthn_rp_id)
    return plan


async def load_current(conn: AsyncConnection, user_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, CurrentUser]:
    """``CurrentUser`` of each existing user among ``user_ids`` (four queries whatever their number)."""
    ids = list(dict.fromkeys(user_ids))
    if not ids:
        return {}
    found = {
        uid: CurrentUser(uid, external_id=ext, source=source)
        for uid, ext, source in (await conn.execute(
            sa.select(users.c.id, users.c.external_id, users.c.source).where(in_values(conn.dialect, users.c.id, ids))
        )).all()
    }
    for row in (await conn.execute(
        sa.select(identities).where(in_values(conn.dialect, identities.c.user_id, ids))
    )).mappings():
        found[row["user_id"]].identities.append(row)
    fed = federated_identities.c
    for uid, provider, subject in (
        await conn.execute(
            sa.select(fed.user_id, fed.provider, fed.subject).where(in_values(conn.dialect, fed.user_id, ids)).order_by(fed.id)
        )
    ).all():
        found[uid].federated.append((provider, subject))
    for (uid,) in (await conn.execute(
        sa.select(passwords_table.c.user_id).where(in_values(conn.dialect, passwords_table.c.user_id, ids))
    )).all():
        found[uid].has_password = True
    return found


async def apply_user_updates(conn: AsyncConnection, plans: Sequence[UpdatePlan]) -> None:
    """Write many plans with a few statements per table (deletes first, so freed values can be reused)."""
    if not plans:
        return
    deletes = [i for p in plans for i in p.identity_deletes]
    if deletes:
        await conn.execute(identities.delete().where(identities.c.id.in_(deletes)))
    changes = [
        {"b_id": u["id"], "b_value": u["value"], "b_raw": u["raw"], "b_verified": u["verified"]}
        for p in plans for u in p.identity_updates
    ]
    if changes:
        await conn.execute(
            identities.update().where(identities.c.id == sa.bindparam("b_id")).values(
                value=sa.bindparam("b_value"), raw=sa.bindparam("b_raw"), verified=sa.bindparam("b_verified")
            ),
            changes,
        )
    inserts = [row for p in plans for row in p.identity_inserts]
    if inserts:
        await conn.execute(identities.insert(), inserts)
    by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for p in plans:
        columns = tuple(sorted(p.values))
        by_columns.setdefault(columns, []).append({"b_id": p.user_id, **{f"b_{c}": p.values[c] for c in columns}})
    for columns, params in by_columns.items():
        stmt = users.update().where(users.c.id == sa.bindparam("b_id")).values({c: sa.bindparam(f"b_{c}") for c in columns})
        await conn.execute(stmt, params)
    await _replace(conn, [passwords_table], [(p.user_id, [p.password] if p.password else []) for p in plans if p.password_changed])
    await _replace(conn, [federated_identities], [(p.user_id, p.federated) for p in plans if p.federated is not None])
    mfa_tables = [totp_factors, otp_factors, recovery_codes]
    await _replace(conn, mfa_tables, [(p.user_id, *p.mfa) for p in plans if p.mfa is not None])
    await _replace(conn, [webauthn_credentials], [(p.user_id, p.webauthn) for p in plans if p.webauthn is not None])


async def _replace(conn: AsyncConnection, tables: Sequence[sa.Table], entries: Sequence[tuple[Any, ...]]) -> None:
    """Replace, for each (user_id, rows_of_table_1, rows_of_table_2, ...), that user's rows in the tables."""
    if not entries:
        return
    user_ids = [entry[0] for entry in entries]
    for position, table in enumerate(tables, start=1):
        await conn.execute(table.delete().where(table.c.user_id.in_(user_ids)))
        rows = [row for entry in entries for row in entry[position]]
        if rows:
            await conn.execute(table.insert(), rows)
