"""A user's passkeys (WebAuthn credentials): listing, naming, removal, and the signature counter rule.

Ceremonies (registration, sign-in) are in ``passkey_ceremonies``; this module owns the rows and
the rules that apply to them whoever wrote them (a browser registration or an import).

Signature counters, WebAuthn Level 3 §7.2 (verifying an authentication assertion) and §6.1.1
(Signature Counter Considerations): "If authData.signCount is nonzero or credentialRecord.signCount
is nonzero ... less than or equal to credentialRecord.signCount: This is a signal, but not proof,
that the authenticator may be cloned ... Whether the Relying Party updates
credentialRecord.signCount below in this case, or not, or fails the authentication ceremony or
not, is Relying Party-specific." and "Authenticators that do not implement a signature counter
leave the signCount in the authenticator data constant at zero." Synced passkeys (iCloud Keychain,
Google Password Manager) and passkeys exported from another system always report zero, or repeat
a value, so authshift's rule is: zero is "no counter" (accepted, the stored value kept); a value
equal to the stored one is accepted (a non-incrementing or synced authenticator, not an alarm);
a greater value is stored; only a non-zero value strictly below the stored one is treated as a
possible clone: the sign-in is refused and a warning logged, and the stored value is kept.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from authshift.accounts.passkey_tables import webauthn_credentials
from authshift.events.outbox import emit
from authshift.ids import uuid7
from authshift.storage.types import utcnow

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection

MAX_NAME_LENGTH = 64
PASSKEY_ADDED = "passkey.added"
PASSKEY_REMOVED = "passkey.removed"


class CounterVerdict(StrEnum):
    NO_COUNTER = "no_counter"  # the authenticator reports zero: keep the stored value
    REPEATED = "repeated"  # equal to the stored value: accepted, nothing to store
    ADVANCED = "advanced"  # greater: store it
    WENT_BACK = "went_back"  # non-zero and below the stored value: possible clone, refused


def judge_sign_count(stored: int, presented: int) -> CounterVerdict:
    """The counter rule of the module docstring (WebAuthn L3 §7.2 and §6.1.1)."""
    if presented == 0:
        return CounterVerdict.NO_COUNTER
    if presented > stored:
        return CounterVerdict.ADVANCED
    if presented == stored:
        return CounterVerdict.REPEATED
    return CounterVerdict.WENT_BACK


@dataclass(frozen=True)
class Passkey:
    """One passkey as the account area lists it (no key material)."""

    id: uuid.UUID
    name: str
    created_at: datetime
    last_used_at: datetime | None
    backup_eligible: bool
    aaguid: str | None


def default_name(index: int) -> str:
    return f"Passkey {index}"


def clean_name(name: str | None, fallback: str) -> str:
    """A passkey's display name: printable, trimmed, at most ``MAX_NAME_LENGTH`` characters."""
    text = "".join(ch for ch in (name or "") if ch.isprintable()).strip()[:MAX_NAME_LENGTH]
    return text or fallback


async def has_passkey(conn: AsyncConnection, user_id: uuid.UUID) -> bool:
    q = sa.select(webauthn_credentials.c.id).where(webauthn_credentials.c.user_id == user_id).limit(1)
    return (await conn.execute(q)).first() is not None


async def list_passkeys(conn: AsyncConnection, user_id: uuid.UUID) -> list[Passkey]:
    c = webauthn_credentials.c
    rows = await conn.execute(
        sa.select(c.id, c.name, c.created_at, c.last_used_at, c.backup_eligible, c.aaguid)
        .where(c.user_id == user_id).order_by(c.created_at, c.id)
    )
    return [Passkey(r.id, r.name, r.created_at, r.last_used_at, bool(r.backup_eligible), r.aaguid) for r in rows]


async def credential_rows(conn: AsyncConnection, user_id: uuid.UUID) -> list[dict[str, Any]]:
    rows = await conn.execute(sa.select(webauthn_credentials).where(webauthn_credentials.c.user_id == user_id)
                              .order_by(webauthn_credentials.c.created_at))
    return [dict(r) for r in rows.mappings()]


async def find_credential(conn: AsyncConnection, credential_id: str) -> dict[str, Any] | None:
    row = (await conn.execute(
        sa.select(webauthn_credentials).where(webauthn_credentials.c.credential_id == credential_id)
    )).mappings().first()
    return dict(row) if row else None


def credential_row(user_id: uuid.UUID, **values: Any) -> dict[str, Any]:
    """A full ``webauthn_credentials`` row with the defaults filled in."""
    row: dict[str, Any] = {
        "id": uuid7(), "user_id": user_id, "sign_count": 0, "transports": [], "aaguid": None,
        "backup_eligible": False, "backup_state": False, "created_at": utcnow(), "last_used_at": None,
    }
    row.update(values)
    return row


async def add_passkey(conn: AsyncConnection, row: dict[str, Any]) -> None:
    """Store a registered passkey and announce it (``passkey.added``) in the same transaction."""
    await conn.execute(webauthn_credentials.insert(), [row])
    await emit(conn, PASSKEY_ADDED, {"user_id": str(row["user_id"]), "passkey": _public(row)}, subject=str(row["user_id"]))


async def remove_passkey(conn: AsyncConnection, user_id: uuid.UUID, passkey_id: uuid.UUID) -> bool:
    """Remove one of the user's passkeys (``passkey.removed``); False when it is not theirs."""
    row = (await conn.execute(sa.select(webauthn_credentials).where(
        webauthn_credentials.c.id == passkey_id, webauthn_credentials.c.user_id == user_id))).mappings().first()
    if row is None:
        return False
    await conn.execute(webauthn_credentials.delete().where(webauthn_credentials.c.id == passkey_id))
    await emit(conn, PASSKEY_REMOVED, {"user_id": str(user_id), "passkey": _public(dict(row))}, subject=str(user_id))
    return True


async def record_use(conn: AsyncConnection, row_id: uuid.UUID, *, sign_count: int | None, backup_state: bool) -> None:
    values: dict[str, Any] = {"last_used_at": utcnow(), "backup_state": backup_state}
    if sign_count is not None:
        values["sign_count"] = sign_count
    await conn.execute(webauthn_credentials.update().where(webauthn_credentials.c.id == row_id).values(**values))


def _public(row: dict[str, Any]) -> dict[str, Any]:
    """What events say about a passkey: its id, name and credential ID, never the key."""
    return {"id": str(row["id"]), "name": row["name"], "credential_id": row["credential_id"], "rp_id": row["rp_id"]}
