"""Which authshift user a verified legacy token is about (found, linked or created).

1. ``external_id`` equal to the token's subject (``external_id_prefix`` + the ``subject_claim``):
   the user imported from, or migrated out of, that legacy system.
2. Otherwise the user whose email is the token's email, but only when the token says the issuer
   verified it (``email_verified`` true). An unverified email never links: anyone can register
   ``victim@example.com`` at a legacy system that does not check, and would take over the
   authshift account. A linked user gets the subject as ``external_id``; a user already linked to
   another legacy subject is refused.
3. Otherwise, with ``on_unknown_user = "create"``, a new user is made from the claims (or from
   the legacy ``userinfo_endpoint``; for hook issuers, from the record the hook answered) with
   ``source`` = the issuer's name and ``migration_state`` = ``migrated``. With ``"reject"``
   the exchange is refused.
A disabled user (here, or per the hook's record) is refused.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from authshift.accounts.context import AccountsContext
from authshift.accounts.login_ids import NORMALIZERS
from authshift.accounts.migration_state import has_federated_or_otp
from authshift.accounts.normalize import InvalidLoginId
from authshift.accounts.users import create_user, update_user
from authshift.config import TokenExchangeIssuerSettings
from authshift.errors import Conflict, InvalidInput
from authshift.migration.token_exchange.claims import claim_string, claim_true
from authshift.migration.token_exchange.errors import ExchangeRefused, invalid_grant
from authshift.migration.token_exchange.verified import VerifiedToken
from authshift.records import RecordError, parse_record, record_to_json
from authshift.storage.tables import identities, users

HOOK_RECORD_IGNORED = ("id", "migration_state")


class UserinfoNeeded(Exception):
    """The user must be created and the issuer's claims come from its userinfo endpoint."""


@dataclass(frozen=True)
class ResolvedUser:
    user_id: uuid.UUID
    how: Literal["external_id", "email", "created"]
    user: Mapping[str, Any]  # the user's row (every column of ``users``), locked by ``resolve_user``
    identities: list[dict[str, Any]]  # their login identities: kind, value, raw, verified (id order)
    # whether they have federated identities or OTP factors (the rest of their record); looked up
    # for imported users only (whose record the exchange announces), True for the others
    federated_or_otp: bool = True

    @property
    def migration_state(self) -> str:
        return str(self.user["migration_state"])


def external_id_for(cfg: TokenExchangeIssuerSettings, subject: str) -> str:
    return cfg.external_id_prefix + subject


_COLUMNS = (users.c.id, users.c.disabled, users.c.migration_state, users.c.external_id)
_IDENTITY_COLUMNS = ("kind", "value", "raw", "verified")

# The user with this external_id and their identities, in one query; ``_LOOKUP_LOCKED`` locks the row
# (PostgreSQL FOR NO KEY UPDATE, the lock the exchange's update takes anyway, which does not stop
# other transactions from inserting rows that refer to the user; SQLite transactions hold the
# database's write lock), so what it says about migration_state stays true until the exchange commits.
# For an imported user it also says whether the rest of their record (for ``user.migrated``) must be read.
_LOOKUP = (
    sa.select(
        users, *(identities.c[c].label(f"identity_{c}") for c in _IDENTITY_COLUMNS),
        sa.case((users.c.migration_state == "imported", has_federated_or_otp(users.c.id)))
        .label("federated_or_otp"),
    )
    .outerjoin(identities, identities.c.user_id == users.c.id)
    .where(users.c.external_id == sa.bindparam("external_id", type_=users.c.external_id.type))
    .order_by(users.c.id, identities.c.id)
)
_LOOKUP_LOCKED = _LOOKUP.with_for_update(of=users, key_share=True)
_USER_COLUMNS = tuple(users.columns.keys())


@dataclass(frozen=True)
class _Found:
    user: dict[str, Any]
    identities: list[dict[str, Any]]
    federated_or_otp: bool


async def _lookup(conn: AsyncConnection, cfg: TokenExchangeIssuerSettings, external_id: str, *,
                  lock: bool = True) -> _Found | None:
    """The user with this external_id. An external_id is unique per source: when users of several
    sources have it, the one whose source is the issuer's name is the token's user; without
    one, the exchange is refused rather than guessed (give the issuer an ``external_id_prefix``)."""
    rows = (await conn.execute(_LOOKUP_LOCKED if lock else _LOOKUP, {"external_id": external_id})).mappings().all()
    if not rows:
        return None
    if len({r["id"] for r in rows}) > 1:
        rows = [r for r in rows if r["source"] == cfg.name]
        if not rows:
            raise invalid_grant("the legacy user cannot be told apart from another source's user",
                                f"users of several sources have external_id {external_id!r} and none has "
                                f"source {cfg.name!r}")
    user = {c: rows[0][c] for c in _USER_COLUMNS}
    idents = [{c: r[f"identity_{c}"] for c in _IDENTITY_COLUMNS} for r in rows if r["identity_kind"] is not None]
    return _Found(user, idents, rows[0]["federated_or_otp"] is not False)


async def resolve_user(
    conn: AsyncConnection,
    token: VerifiedToken,
    cfg: TokenExchangeIssuerSettings,
    *,
    ctx: AccountsContext,
    userinfo: Mapping[str, Any] | None = None,
) -> ResolvedUser:
    """Find, link or create the user; raises ``invalid_grant`` (disabled, rejected, taken email)."""
    if token.record is not None and token.record.get("disabled"):
        raise invalid_grant("the user is disabled", "the hook's record says the user is disabled")
    external_id = external_id_for(cfg, token.subject)
    found = await _lookup(conn, cfg, external_id)
    how: Literal["external_id", "email", "created"] = "external_id"
    if found is None:
        owner = await _verified_email_owner(conn, token, cfg)
        if owner is not None:
            how = "email"
            if owner.external_id is not None:
                raise invalid_grant(
                    "the user's email belongs to an account linked to another legacy user",
                    "email owner has a different external_id",
                )
            if owner.disabled:
                raise invalid_grant("the user is disabled", f"user {owner.id} is disabled")
            await update_user(conn, owner.id, {"external_id": external_id}, ctx=ctx)
        else:
            how = "created"
            try:
                await _create(conn, token, cfg, external_id, ctx=ctx, userinfo=userinfo)
            except Conflict as exc:
                # a concurrent exchange for the same new user may have created it first
                if await _lookup(conn, cfg, external_id) is None:
                    fields = sorted({e.path for e in exc.errors}) or ["a unique field"]
                    raise invalid_grant(
                        "the legacy user's email or phone number belongs to another account",
                        f"cannot create the user: {', '.join(fields)} already taken (not linked: unverified or linked elsewhere)",
                    ) from None
                how = "external_id"
        found = await _lookup(conn, cfg, external_id)
        assert found is not None
    user = found.user
    if user["disabled"]:
        raise invalid_grant("the user is disabled", f"user {user['id']} is disabled")
    return ResolvedUser(user["id"], how, user, found.identities, found.federated_or_otp)


async def find_known_user(conn: AsyncConnection, token: VerifiedToken, cfg: TokenExchangeIssuerSettings) -> ResolvedUser | None:
    """The enabled user this token's subject was imported or linked as, read without a lock; None
    in every other case (unknown, disabled, a hook's record): ``resolve_user`` decides those."""
    if token.record is not None:
        return None
    try:
        found = await _lookup(conn, cfg, external_id_for(cfg, token.subject), lock=False)
    except ExchangeRefused:
        return None  # ambiguous: resolve_user refuses it
    if found is None or found.user["disabled"]:
        return None
    return ResolvedUser(found.user["id"], "external_id", found.user, found.identities, found.federated_or_otp)


def _email_claims(token: VerifiedToken, cfg: TokenExchangeIssuerSettings) -> tuple[str | None, bool]:
    claims = token.claims
    return claim_string(claims, cfg.email_claim), claim_true(claims, cfg.claim_mapping["email_verified"])


async def _verified_email_owner(conn: AsyncConnection, token: VerifiedToken, cfg: TokenExchangeIssuerSettings) -> Any:
    email, verified = _email_claims(token, cfg)
    if email is None or not verified:
        return None
    try:
        value = NORMALIZERS["email"](email)
    except InvalidLoginId:
        return None
    q = (
        sa.select(*_COLUMNS)
        .join(identities, identities.c.user_id == users.c.id)
        .where(identities.c.kind == "email", identities.c.value == value)
    )
    return (await conn.execute(q)).first()


def record_from_claims(claims: Mapping[str, Any], cfg: TokenExchangeIssuerSettings, external_id: str) -> dict[str, Any]:
    """A user record (import format) built from a token's or userinfo's claims."""
    record: dict[str, Any] = {"external_id": external_id, "source": cfg.name}
    email = claim_string(claims, cfg.email_claim)
    if email is not None:
        record["email"] = email
    for field, claim in cfg.claim_mapping.items():
        value = claims.get(claim)
        if value is None:
            continue
        record[field] = claim_true(claims, claim) if field.endswith("_verified") else value
    return record


def _validated(record: dict[str, Any]) -> dict[str, Any]:
    """Validate with the import rules; fields the legacy claims got wrong are dropped, not fatal."""
    try:
        return record_to_json(parse_record(record).record)
    except RecordError as exc:
        bad = {issue.path.split(".")[0].split("[")[0] for issue in exc.issues} - {"external_id"}
        if not bad:
            raise
        return _validated({k: v for k, v in record.items() if k not in bad})


async def _create(
    conn: AsyncConnection,
    token: VerifiedToken,
    cfg: TokenExchangeIssuerSettings,
    external_id: str,
    *,
    ctx: AccountsContext,
    userinfo: Mapping[str, Any] | None,
) -> None:
    if cfg.on_unknown_user != "create":
        raise invalid_grant("the user is not known here", "no user with this external_id or verified email")
    if token.record is not None:
        record = {k: v for k, v in token.record.items() if k not in HOOK_RECORD_IGNORED}
        record.update(external_id=external_id, source=record.get("source") or cfg.name)
    elif cfg.userinfo_endpoint is not None:
        if userinfo is None:
            raise UserinfoNeeded
        record = record_from_claims({**token.claims, **userinfo}, cfg, external_id)
    else:
        record = record_from_claims(token.claims, cfg, external_id)
    try:
        rec = _validated(record)
        await create_user(conn, rec, ctx=ctx, migration_state="migrated")
    except RecordError:
        raise invalid_grant("the legacy user cannot be created here", "the claims make no valid user record") from None
    except InvalidInput as exc:
        raise invalid_grant("the legacy user cannot be created here", f"invalid user: {exc.detail}") from None
