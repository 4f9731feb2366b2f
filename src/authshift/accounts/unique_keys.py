"""The keys that belong to one user at most, and the one lookup of who owns them.

A key is ``(kind, value)``: a normalised login ID (``email``, ``phone_number``,
``preferred_username``), an ``external_id`` (value ``(source, external_id)``: an external id is
unique per source, see ``accounts.sources``), the user ``id`` itself, or a federated identity
(``identity``, value ``(provider, subject)``). Creating a user, changing one and bulk import all
ask ``find_owners`` before writing, with one query per kind however many keys they ask about.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from authshift.accounts.rows import UserRows
from authshift.errors import FieldError
from authshift.records.fields import LOGIN_ID_FIELDS
from authshift.storage.bulk import in_values
from authshift.storage.tables import federated_identities, identities, users

__all__ = ["Key", "KEY_KINDS", "conflict_error", "external_id_key", "find_owners", "keys_of_rows", "taken"]

Key = tuple[str, Any]
KEY_KINDS = (*LOGIN_ID_FIELDS, "external_id", "id", "identity")


def keys_of_rows(rows: UserRows, *, include_id: bool = True) -> list[Key]:
    """Every unique key the rows of one user would hold."""
    keys: list[Key] = [(ident["kind"], ident["value"]) for ident in rows.identities]
    if rows.user.get("external_id") is not None:
        keys.append(external_id_key(rows.user.get("source"), rows.user["external_id"]))
    if include_id and rows.user.get("id") is not None:
        keys.append(("id", rows.user["id"]))
    keys.extend(("identity", (fed["provider"], fed["subject"])) for fed in rows.federated)
    return keys


def external_id_key(source: str | None, external_id: str) -> Key:
    """The key of an external id: the pair (source, external_id), unique per source."""
    return ("external_id", (source, external_id))


def conflict_error(key: Key) -> FieldError:
    """The field error that says a key is taken (the same words wherever it is detected)."""
    kind, value = key
    if kind in LOGIN_ID_FIELDS:
        return FieldError(kind, f"another user already has this {kind.replace('_', ' ')}")
    if kind == "external_id":
        return FieldError("external_id", f"another user of source {value[0]!r} already has this external_id")
    if kind == "id":
        return FieldError("id", "a user with this id already exists")
    return FieldError("identities", f"the {value[0]} identity belongs to another user")


async def find_owners(conn: AsyncConnection, keys: Iterable[Key]) -> dict[Key, uuid.UUID]:
    """The user owning each key that is taken (absent keys are free): one query per kind asked."""
    by_kind: dict[str, set[Any]] = {}
    for kind, value in keys:
        by_kind.setdefault(kind, set()).add(value)
    owners: dict[Key, uuid.UUID] = {}
    dialect = conn.dialect
    for kind, values in by_kind.items():
        if kind in LOGIN_ID_FIELDS:
            q: Any = sa.select(identities.c.value, identities.c.user_id).where(
                identities.c.kind == kind, in_values(dialect, identities.c.value, values)
            )
        elif kind == "external_id":
            # One bound parameter for the ids (a batch asks about thousands); the sources are
            # matched here: other sources' users with the same id are few.
            q = sa.select(users.c.source, users.c.external_id, users.c.id).where(
                in_values(dialect, users.c.external_id, {external_id for _, external_id in values}))
            for source, external_id, owner in (await conn.execute(q)).all():
                if (source, external_id) in values:
                    owners[(kind, (source, external_id))] = owner
            continue
        elif kind == "id":
            q = sa.select(users.c.id, users.c.id).where(in_values(dialect, users.c.id, values))
        elif kind == "identity":
            fed = federated_identities.c
            q = sa.select(fed.provider, fed.subject, fed.user_id).where(sa.tuple_(fed.provider, fed.subject).in_(values))
            for provider, subject, owner in (await conn.execute(q)).all():
                owners[(kind, (provider, subject))] = owner
            continue
        else:
            raise ValueError(f"unknown key kind {kind!r}")
        for value, owner in (await conn.execute(q)).all():
            owners[(kind, value)] = owner
    return owners


def taken(owners: Mapping[Key, uuid.UUID], keys: Iterable[Key], exclude_user: uuid.UUID | None) -> list[FieldError]:
    """Field errors for the keys owned by someone other than ``exclude_user``."""
    return [conflict_error(k) for k in keys if k in owners and owners[k] != exclude_user]
