"""Admin API keys: shown once at creation, stored as a SHA-256 digest, compared in constant time.

A key reads ``ask_<id>_<secret>``; the id finds the row, the secret is checked against its digest.
Keys carry scopes: ``admin`` (every admin endpoint) and ``secrets:export`` (exports with password
hashes and MFA secrets), which is granted only when asked for.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from authshift.errors import Unauthorized
from authshift.security.digests import secret_digest
from authshift.storage.tables import admin_keys
from authshift.storage.types import utcnow

PREFIX = "ask_"
SCOPE_ADMIN = "admin"
SCOPE_EXPORT_SECRETS = "secrets:export"
KNOWN_SCOPES = (SCOPE_ADMIN, SCOPE_EXPORT_SECRETS)


@dataclass(frozen=True)
class AdminKey:
    id: str
    name: str
    scopes: tuple[str, ...]

    def allows(self, scope: str) -> bool:
        return scope in self.scopes


@dataclass(frozen=True, repr=False)
class NewAdminKey:
    key: AdminKey
    plaintext: str


async def create_admin_key(conn: AsyncConnection, name: str, *, allow_secrets: bool = False) -> NewAdminKey:
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    scopes = (SCOPE_ADMIN, SCOPE_EXPORT_SECRETS) if allow_secrets else (SCOPE_ADMIN,)
    await conn.execute(
        admin_keys.insert().values(
            id=key_id, name=name, key_hash=secret_digest(secret), scopes=list(scopes), created_at=utcnow()
        )
    )
    return NewAdminKey(AdminKey(key_id, name, scopes), f"{PREFIX}{key_id}_{secret}")


async def authenticate_admin_key(conn: AsyncConnection, presented: str) -> AdminKey:
    """The key behind a presented bearer value, or ``Unauthorized`` (same message for every failure)."""
    failure = Unauthorized("a valid admin API key is required (Authorization: Bearer ask_...)")
    if not presented.startswith(PREFIX):
        raise failure
    key_id, _, secret = presented[len(PREFIX):].partition("_")
    row = (
        await conn.execute(sa.select(admin_keys).where(admin_keys.c.id == key_id))
    ).mappings().first()
    expected = row["key_hash"] if row else secret_digest("not-a-key")
    ok = hmac.compare_digest(expected, secret_digest(secret))
    if row is None or not ok or row["revoked_at"] is not None:
        raise failure
    await conn.execute(admin_keys.update().where(admin_keys.c.id == key_id).values(last_used_at=utcnow()))
    return AdminKey(row["id"], row["name"], tuple(row["scopes"]))


async def revoke_admin_key(conn: AsyncConnection, key_id: str) -> bool:
    result = await conn.execute(
        admin_keys.update().where(admin_keys.c.id == key_id, admin_keys.c.revoked_at.is_(None)).values(revoked_at=utcnow())
    )
    return bool(result.rowcount)


async def list_admin_keys(conn: AsyncConnection) -> list[dict[str, object]]:
    """Every key, oldest first, without anything secret (the digest stays in the database)."""
    rows = (await conn.execute(sa.select(
        admin_keys.c.id, admin_keys.c.name, admin_keys.c.scopes, admin_keys.c.created_at,
        admin_keys.c.last_used_at, admin_keys.c.revoked_at,
    ).order_by(admin_keys.c.created_at, admin_keys.c.id))).mappings()
    return [{**row, "scopes": list(row["scopes"])} for row in rows]
