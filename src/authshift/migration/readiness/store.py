"""Keeping each user's sign-in readiness current in ``user_readiness``.

``judge_record`` judges an import record (import and dry run); ``refresh`` judges users from what
is stored (after an import updated them, a password or second factor changed, an undo); ``proved``
marks a user whose sign-in just succeeded here; ``record_shadow`` stores a shadow verification.
All of them judge with ``readiness.judge`` and the instance's ceilings and hash configs, the ones
sign-in verifies with.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from authshift import passwords
from authshift.accounts.context import AccountsContext
from authshift.accounts.hash_config_store import inline_configs
from authshift.accounts.passkey_rows import rp_id_refusal
from authshift.accounts.passkey_tables import webauthn_credentials
from authshift.accounts.rows import totp_secret_bytes
from authshift.ids import uuid7
from authshift.logs import get_logger
from authshift.migration.readiness.rule import Credentials, Judgement, TotpFactor, judge
from authshift.migration.readiness.tables import shadow_checks, user_readiness
from authshift.passwords import registry
from authshift.passwords.assess import NEEDS_HASH_CONFIG
from authshift.storage.bulk import bulk_insert, in_values
from authshift.storage.tables import federated_identities, otp_factors, totp_factors, users
from authshift.storage.tables import passwords as passwords_table
from authshift.storage.types import utcnow

__all__ = ["Stored", "factor_changed", "judge_record", "passkey_registered", "proved", "record_shadow", "refresh", "write_new"]

log = get_logger("authshift.readiness")


@dataclass(frozen=True)
class Stored:
    """A judgement as stored, with what the next judgement keeps from it."""

    judgement: Judgement
    family_named: bool = False
    proved_at: datetime | None = None
    shadow: str | None = None
    passkeys_refused: int = 0


def family_named(rec_password: Any) -> bool:
    """Whether an import record's password object names its family (``"format"``)."""
    return isinstance(rec_password, Mapping) and bool(rec_password.get("format"))


def judge_record(
    stored_password: passwords.StoredPassword | None, rec: Mapping[str, Any] | None, ctx: AccountsContext,
    *, hash_format: str | None = None, refused_passkeys: int = 0,
) -> Stored:
    """The readiness an import record gives its user (``rec`` None: a record known to carry no
    second factor, no federated identity and no family name, e.g. one whose rows the reader
    prebuilt; ``hash_format``: the import's ``--hash-format``, which names the family of the file's
    ambiguous shapes; ``refused_passkeys``: passkeys the import left out of the record)."""
    named = hash_format is not None
    totp: list[TotpFactor] = []
    migration = None
    factors = _Factors()
    if rec is not None:
        named = named or family_named(rec.get("password"))
        migration = rec.get("password_migration")
        mfa = rec.get("mfa") or {}
        for entry in mfa.get("totp") or ():
            raw, algorithm, digits, period = totp_secret_bytes(entry)
            totp.append(TotpFactor(algorithm, digits, period, len(raw)))
        factors = _Factors(
            rp_ids=[entry.get("rp_id") or ctx.webauthn_rp_id for entry in mfa.get("webauthn") or ()],
            providers=[str(ident["provider"]) for ident in rec.get("identities") or ()],
            channels=[channel for channel, key in OTP_CHANNELS if mfa.get(key)],
        )
    creds = factors.credentials(Credentials(stored_password, migration, family_named=named, totp=totp,
                                            refused_passkeys=refused_passkeys), ctx)
    configs = {**ctx.hash_configs, **inline_configs(stored_password, rec)}
    return Stored(judge(creds, limits=ctx.limits, hash_configs=configs), family_named=named,
                  passkeys_refused=refused_passkeys)


OTP_CHANNELS = (("email", "email"), ("SMS", "phone_number"))  # (how the reason says it, the record's mfa key)


@dataclass
class _Factors:
    """A user's factors other than the password and TOTP, as an import record or the database has them."""

    rp_ids: list[str] = field(default_factory=list)  # of their passkeys
    providers: list[str] = field(default_factory=list)  # of their federated identities
    channels: list[str] = field(default_factory=list)  # of their one-time-code factors

    def credentials(self, creds: Credentials, ctx: AccountsContext) -> Credentials:
        """``creds`` with these factors; whether a passkey is usable here is ``passkey_rows``' rule."""
        foreign = [why for why in (rp_id_refusal(rp_id, ctx.webauthn_rp_id) for rp_id in self.rp_ids) if why]
        return replace(creds, passkeys=len(self.rp_ids) - len(foreign), foreign_passkeys=foreign,
                       federated=tuple(self.providers), otp_channels=tuple(self.channels))


def needs_record(stored_password: passwords.StoredPassword | None) -> bool:
    """Whether judging needs the record itself, beyond its parsed password (see ``judge_record``)."""
    return (stored_password is None or stored_password.format in NEEDS_HASH_CONFIG
            or bool(registry.by_name(stored_password.format).ambiguous_with(stored_password.value)))


def _row(user_id: uuid.UUID, s: Stored, now: datetime) -> dict[str, Any]:
    j = s.judgement
    return {"user_id": user_id, "readiness": str(j.readiness), "family": j.family, "reason": j.reason,
            "proved_at": s.proved_at, "family_named": s.family_named, "shadow": s.shadow,
            "passkeys_refused": s.passkeys_refused, "updated_at": now}


async def write_new(conn: AsyncConnection, judged: Iterable[tuple[uuid.UUID, Stored]]) -> None:
    """Store the readiness of users just created (no row yet)."""
    now = utcnow()
    await bulk_insert(conn, user_readiness, [_row(uid, s, now) for uid, s in judged])  # COPY on PostgreSQL


async def _factors(conn: AsyncConnection, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, _Factors]:
    """Each user's stored passkeys, federated identities and one-time-code factors."""
    out: dict[uuid.UUID, _Factors] = {}
    for column, kind in ((webauthn_credentials.c.rp_id, "rp_ids"), (federated_identities.c.provider, "providers"),
                         (otp_factors.c.channel, "channels")):
        user_id = column.table.c.user_id
        for uid, value in (await conn.execute(sa.select(user_id, column).where(in_values(conn.dialect, user_id, ids)))).all():
            found = out.setdefault(uuid.UUID(str(uid)), _Factors())
            text = str(value)
            getattr(found, kind).append(("email" if text == "email" else "SMS") if kind == "channels" else text)
    return out


async def _load(conn: AsyncConnection, ids: Sequence[uuid.UUID], ctx: AccountsContext,
                fresh: Mapping[uuid.UUID, bool]) -> dict[uuid.UUID, tuple[Credentials, Stored | None]]:
    d = conn.dialect
    q = (sa.select(users.c.id, users.c.password_migration, passwords_table.c.format, passwords_table.c.value,
                   user_readiness.c.family_named, user_readiness.c.proved_at, user_readiness.c.shadow,
                   user_readiness.c.readiness, user_readiness.c.passkeys_refused)
         .select_from(users.outerjoin(passwords_table, passwords_table.c.user_id == users.c.id)
                      .outerjoin(user_readiness, user_readiness.c.user_id == users.c.id))
         .where(in_values(d, users.c.id, ids)))
    totp: dict[uuid.UUID, list[TotpFactor]] = {}
    t = totp_factors.c
    for uid, secret, algorithm, digits, period in (await conn.execute(
        sa.select(t.user_id, t.secret_encrypted, t.algorithm, t.digits, t.period).where(in_values(d, t.user_id, ids))
    )).all():
        totp.setdefault(uid, []).append(TotpFactor(algorithm, digits, period, len(ctx.totp_box.decrypt(secret))))
    factors = await _factors(conn, ids)
    out = {}
    rows = (await conn.execute(q)).all()
    await _known_configs(conn, ctx, [r.value for r in rows if r.format in NEEDS_HASH_CONFIG])
    for row in rows:
        stored = passwords.StoredPassword(row.format, row.value) if row.format is not None else None
        named = fresh.get(row.id, bool(row.family_named))
        keep = row.id not in fresh
        refused = row.passkeys_refused or 0
        creds = factors.get(row.id, _Factors()).credentials(Credentials(
            stored, row.password_migration, family_named=named, totp=totp.get(row.id, ()),
            proved=keep and row.proved_at is not None, shadow_mismatch=keep and row.shadow == "mismatch",
            refused_passkeys=refused), ctx)
        previous = None
        if row.readiness is not None:
            previous = Stored(Judgement(row.readiness, ""), bool(row.family_named), row.proved_at if keep else None,
                              row.shadow if keep else None, refused)
        out[row.id] = (creds, previous)
    return out


_KEEP = object()


async def _known_configs(conn: AsyncConnection, ctx: AccountsContext, values: Sequence[str]) -> None:
    """Make the hash configs these stored passwords name known to ``ctx``, from the database where
    import keeps them (``accounts.hash_config_store``; sign-in finds them there the same way)."""
    names = set()
    for value in values:
        try:
            reference = json.loads(value).get("hash_config")
        except (ValueError, AttributeError):
            continue
        if isinstance(reference, str) and reference not in ctx.hash_configs:
            names.add(reference)
    if names and ctx.hash_config_box is not None:
        from authshift.accounts.hash_config_store import load_hash_configs

        ctx.hash_configs.update(await load_hash_configs(conn, ctx.hash_config_box, sorted(names)))


async def refresh(
    conn: AsyncConnection, user_ids: Sequence[uuid.UUID], ctx: AccountsContext, *,
    fresh: Mapping[uuid.UUID, bool] | None = None, proved_at: Any = _KEEP, shadow: Any = _KEEP,
    passkeys_refused: Mapping[uuid.UUID, int] | None = None,
) -> dict[uuid.UUID, Stored]:
    """Judge users again from what is stored, and store the result.

    ``fresh``: users whose password was just replaced by an import, with whether the import named
    its family: an earlier proof or shadow check of the old password no longer counts.
    ``proved_at`` / ``shadow``: new values of these facts for every user given (else kept).
    ``passkeys_refused``: new counts of passkeys an import refused, per user (else kept)."""
    ids = list(dict.fromkeys(user_ids))
    if not ids:
        return {}
    fresh = fresh or {}
    loaded = await _load(conn, ids, ctx, fresh)
    now = utcnow()
    out: dict[uuid.UUID, Stored] = {}
    for uid, (creds, previous) in loaded.items():
        when = previous.proved_at if previous else None
        last = previous.shadow if previous else None
        if proved_at is not _KEEP:
            when = proved_at
        if shadow is not _KEEP:
            last = shadow
        refused = (passkeys_refused or {}).get(uid, creds.refused_passkeys)
        creds = replace(creds, proved=when is not None, shadow_mismatch=last == "mismatch", refused_passkeys=refused)
        judgement = judge(creds, limits=ctx.limits, hash_configs=ctx.hash_configs)
        out[uid] = Stored(judgement, creds.family_named, when, last, refused)
    await _upsert(conn, [_row(uid, s, now) for uid, s in out.items()])
    return out


async def _upsert(conn: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    """Insert or replace rows (one statement: two sign-ins of one user may refresh it at once)."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    stmt = insert(user_readiness)
    columns = [c.name for c in user_readiness.c if c.name != "user_id"]
    await conn.execute(
        stmt.on_conflict_do_update(index_elements=["user_id"], set_={c: stmt.excluded[c] for c in columns}), rows
    )


async def signed_in(conn: AsyncConnection, user_id: uuid.UUID, ctx: AccountsContext) -> None:
    """The sign-in path's hook: the user's password was just accepted here (locally, or by the legacy
    system while it decides). A user whose stored hash verified is proved ``ready``; a shadow
    mismatch stays ``unverified`` (the legacy system, not the hash, let them in)."""
    shadow = (await conn.execute(sa.select(user_readiness.c.shadow).where(user_readiness.c.user_id == user_id))).scalar()
    if shadow != "mismatch":
        await proved(conn, user_id, ctx)


async def factor_changed(conn: AsyncConnection, user_id: uuid.UUID, ctx: AccountsContext) -> None:
    """The user added or removed a second factor here (TOTP, a passkey): their readiness follows,
    since a factor may have been their way in or the one their sign-in would now ask for."""
    await refresh(conn, [user_id], ctx)


async def passkey_registered(conn: AsyncConnection, user_id: uuid.UUID, ctx: AccountsContext) -> None:
    """The user registered a passkey here: those an import refused are replaced."""
    await refresh(conn, [user_id], ctx, passkeys_refused={user_id: 0})


async def proved(conn: AsyncConnection, user_id: uuid.UUID, ctx: AccountsContext) -> None:
    """A sign-in with the stored credentials just succeeded here: they are proved."""
    await refresh(conn, [user_id], ctx, proved_at=utcnow())


async def confirmed(conn: AsyncConnection, user_id: uuid.UUID, ctx: AccountsContext) -> None:
    """A known answer (``--check-credentials``) verified with the stored hash: its family is
    confirmed, as if the import had named it (no sign-in happened: ``proved_at`` stays)."""
    await refresh(conn, [user_id], ctx)
    await conn.execute(user_readiness.update().where(user_readiness.c.user_id == user_id).values(family_named=True))
    await refresh(conn, [user_id], ctx)


async def record_shadow(conn: AsyncConnection, user_id: uuid.UUID, *, family: str, source: str | None,
                        matched: bool, ctx: AccountsContext) -> None:
    """The legacy system verified a password; the imported hash did (not) match it. Never the password."""
    now = utcnow()
    await conn.execute(shadow_checks.insert().values(id=uuid7(), user_id=user_id, family=family, source=source,
                                                     matched=matched, at=now))
    if matched:
        await refresh(conn, [user_id], ctx, proved_at=now, shadow="match")
    else:
        await refresh(conn, [user_id], ctx, proved_at=None, shadow="mismatch")
    log.info("shadow verification", user_id=str(user_id), family=family, source=source, matched=matched)
