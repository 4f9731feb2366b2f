"""The token exchange itself: legacy token in, authshift tokens out (RFC 8693 section 2).

    parse the request -> route the token to its issuer -> verify it (network, no transaction)
    -> claim the token (single use), find/link/create the user, mark them migrated, issue the
       tokens (a new session), audit, count against the throttles: all or nothing, either
       - for a user already known here, on PostgreSQL: read them, then one statement that writes
         everything or, if anything is not as read, nothing (two round trips, no transaction), or
       - otherwise, or when that wrote nothing: one transaction with the user's row locked
    -> the RFC 8693 2.2.1 response

Everything that refuses raises ``ExchangeRefused``; the caller turns it into the OAuth JSON error.
Refusals are logged with their reason and the token's SHA-256 prefix, never the token.
"""

from __future__ import annotations

import functools
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import CTE

from authshift.accounts.migration_state import (
    USER_MIGRATED,
    announce_migrated,
    migrated_event_data,
    record_of_loaded_user,
    sign_in_changes,
    sign_in_values,
    sign_in_write,
    unchanged_values,
)
from authshift.audit import audit_row, record_audit
from authshift.config import TokenExchangeIssuerSettings
from authshift.events.outbox import event_row, events
from authshift.logs import get_logger
from authshift.migration.token_exchange.errors import (
    INVALID_SCOPE,
    INVALID_TARGET,
    SLOW_DOWN,
    ExchangeRefused,
    invalid_grant,
)
from authshift.migration.token_exchange.mapping import (
    ResolvedUser,
    UserinfoNeeded,
    find_known_user,
    resolve_user,
)
from authshift.migration.token_exchange.replay import (
    claim_values,
    claim_write,
    keep_until,
)
from authshift.migration.token_exchange.request import ExchangeRequest, parse_request
from authshift.migration.token_exchange.runtime import ExchangeHost, TokenExchangeRuntime, runtime_for
from authshift.migration.token_exchange.validators import fetch_userinfo
from authshift.migration.token_exchange.verified import VerifiedToken, token_digest
from authshift.oidc.claims import ScopeSyntaxError, parse_scope, released_claims
from authshift.oidc.clients import Client
from authshift.oidc.tokens import grant_write_list, new_grant
from authshift.security import throttle
from authshift.storage.combined import CombinedWrite, WriteAborted, row_insert, row_values
from authshift.storage.db import each_statement_alone, is_postgres
from authshift.storage.tables import audit_log
from authshift.storage.types import utcnow

log = get_logger("authshift.token_exchange")

VIA = "token_exchange"


def client_key(client_id: str) -> str:
    return throttle.counter_key("tx-client", client_id)


def subject_key(issuer: str, subject: str) -> str:
    return throttle.counter_key("tx-subject", f"{issuer}\0{subject}")


@dataclass(frozen=True)
class Exchanged:
    response: dict[str, Any]
    user_id: uuid.UUID
    how: str


@dataclass
class _Attempt:
    """What is known about an exchange so far, for the log line and the audit entry."""

    client_id: str
    ip: str | None
    token_sha256: str | None = None
    issuer: str | None = None
    subject: str | None = None
    client_counted: bool = False  # already counted against the client's throttle

    def fields(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if v is not None and k != "client_counted"}


def requested_scope(request: ExchangeRequest, client: Client) -> list[str]:
    """The scope asked for (default: every scope the client is registered with)."""
    try:
        scope = parse_scope(request.scope) if request.scope else list(client.scopes)
    except ScopeSyntaxError as exc:
        raise ExchangeRefused(INVALID_SCOPE, str(exc)) from None
    if not client.allows_scopes(scope):
        extra = " ".join(s for s in scope if s not in client.scopes)
        raise ExchangeRefused(INVALID_SCOPE, f"scope not allowed for this client: {extra}")
    return scope


def check_target(request: ExchangeRequest, client: Client, issuer_url: str) -> None:
    """authshift issues tokens for the requesting client only (their ``aud`` is its client_id)."""
    allowed = {client.client_id, issuer_url}
    for name, value in (("audience", request.audience), ("resource", request.resource)):
        if value is not None and value not in allowed:
            raise ExchangeRefused(INVALID_TARGET, f"tokens can only be issued for this client; {name} is not accepted")


def _auth_time(claims: Mapping[str, Any]) -> datetime | None:
    """When the user signed in at the legacy issuer, if the token says so (OIDC ``auth_time``)."""
    value = claims.get("auth_time")
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 < value <= time.time() + 60:
        return datetime.fromtimestamp(value, UTC)
    return None


async def exchange(form: Mapping[str, str], client: Client, state: ExchangeHost, ip: str | None) -> Exchanged:
    """Exchange the form's subject token for tokens of ``client``; raises ``ExchangeRefused``."""
    cfg = state.settings.migration.token_exchange
    runtime = runtime_for(state)
    attempt = _Attempt(client.client_id, ip)
    try:
        request = parse_request(form, known_token_types=runtime.issuers.token_types, max_token_bytes=cfg.max_token_bytes)
        attempt.token_sha256 = token_digest(request.subject_token)[:12]
        runtime.refuse_if_throttled(client_key(client.client_id))
        scope = requested_scope(request, client)
        check_target(request, client, state.settings.public_issuer)
        issuer, parsed = runtime.issuers.route(request.subject_token, request.subject_token_type)
        attempt.issuer = issuer.name
        verified = await issuer.validator.verify(request.subject_token, request.subject_token_type, parsed)
        attempt.subject = verified.subject
        runtime.refuse_if_throttled(subject_key(issuer.name, verified.subject))
        await _count_client(state, runtime, attempt)
        done = await _without_lock(state, runtime, client, verified, issuer.settings, scope, attempt)
        userinfo: dict[str, Any] | None = None
        while done is None:
            try:
                async with state.engine.begin() as conn:
                    done = await _in_transaction(state, conn, runtime, client, verified, issuer.settings, scope, attempt, userinfo)
            except UserinfoNeeded:
                userinfo = await fetch_userinfo(
                    runtime.issuers.http(), issuer.settings, request.subject_token, verified.subject
                )
    except ExchangeRefused as exc:
        await _refused(state, runtime, exc, attempt)
        raise
    log.info("token exchanged", how=done.how, user_id=str(done.user_id), **attempt.fields())
    return done


def _all_written(ctes: Mapping[str, CTE]) -> ColumnElement[bool]:
    """The exchange's writes stand only if the token was claimed now (not a replay), the user's row
    was as read, and the subject is within its limit (``_without_lock``)."""
    condition = sa.and_(sa.exists(ctes["claim"].select()), sa.exists(ctes["user"].select()))
    if "subject" in ctes:
        limit = sa.bindparam("subject__max_attempts", type_=sa.Integer)
        condition = sa.and_(condition, sa.select(ctes["subject"].c["count"]).scalar_subquery() <= limit)
    return condition


@functools.cache
def _writes(*, postgres: bool, imported: bool, refresh: bool, count_subject: bool, unlocked: bool) -> CombinedWrite:
    """Everything an exchange writes, in one statement on PostgreSQL (see ``_issue``); ``unlocked``:
    the user was read without a lock, and the statement writes nothing unless ``_all_written``.

    The user's row comes first: PostgreSQL runs the writes that return something in the order of
    the statement's columns, so an unlocked exchange takes its locks in the order of a locked one
    (the user, then the token's claim, then the subject's count). In the opposite order, an
    unlocked exchange holding the count and a locked one holding the user deadlocked when one
    token was sent several times at once."""
    return CombinedWrite([
        sign_in_write("user", imported=imported, unchanged=unlocked),
        claim_write("claim", postgres),
        *([throttle.hit_write("subject", postgres)] if count_subject else []),
        *([row_insert("event", events)] if imported else []),
        *grant_write_list(new_session=True, refresh=refresh),
        row_insert("audit", audit_log),
    ], abort_unless=_all_written if unlocked else None)


async def _without_lock(
    state: ExchangeHost,
    runtime: TokenExchangeRuntime,
    client: Client,
    verified: VerifiedToken,
    issuer: TokenExchangeIssuerSettings,
    scope: list[str],
    attempt: _Attempt,
) -> Exchanged | None:
    """The common exchange in two statements and no transaction (PostgreSQL): read the user the
    token's subject was imported as, then write everything in one statement that writes nothing
    unless the token is new, the subject within its limit and the user's row still as read (every
    change of a user moves ``updated_at``). None (nothing written) for everything else, which
    ``_in_transaction`` then does with the user's row locked: unknown, disabled or hook-described
    users, imported users whose record needs another read, replays, throttling, races."""
    if not is_postgres(state.engine):
        return None  # SQLite runs in the process: a transaction costs no round trips there
    async with each_statement_alone(state.engine) as conn:
        user = await find_known_user(conn, verified, issuer)
        if user is None or (user.migration_state == "imported" and user.federated_or_otp):
            return None
        try:
            return await _issue(state, conn, runtime, client, verified, issuer, scope, attempt, user, unlocked=True)
        except WriteAborted:
            return None


async def _in_transaction(
    state: ExchangeHost,
    conn: AsyncConnection,
    runtime: TokenExchangeRuntime,
    client: Client,
    verified: VerifiedToken,
    issuer: TokenExchangeIssuerSettings,
    scope: list[str],
    attempt: _Attempt,
    userinfo: dict[str, Any] | None,
) -> Exchanged:
    """Find (or link, or create) the user and lock their row, then ``_issue`` in the caller's
    transaction: what ``_without_lock`` leaves, and every exchange on SQLite."""
    user: ResolvedUser = await resolve_user(conn, verified, issuer, ctx=state.accounts, userinfo=userinfo)
    if user.how == "created":
        await announce_migrated(conn, user.user_id, via=VIA, details={"issuer": verified.issuer})
    return await _issue(state, conn, runtime, client, verified, issuer, scope, attempt, user, unlocked=False)


async def _issue(
    state: ExchangeHost,
    conn: AsyncConnection,
    runtime: TokenExchangeRuntime,
    client: Client,
    verified: VerifiedToken,
    issuer: TokenExchangeIssuerSettings,
    scope: list[str],
    attempt: _Attempt,
    user: ResolvedUser,
    *,
    unlocked: bool,
) -> Exchanged:
    """Build the tokens, the new session, the sign-in (imported -> migrated, with ``user.migrated``)
    and the audit entry in memory; write them with the single-use claim and the subject's count.
    Locked (``unlocked=False``): refuse, raising inside the caller's transaction so that it rolls
    back, when the token was exchanged before or the subject is over its limit. ``unlocked``: the
    statement itself writes nothing then (``WriteAborted``)."""
    cfg = state.settings.migration.token_exchange
    details = {"issuer": verified.issuer}
    now = utcnow()
    imported = user.migration_state == "imported"
    changes = sign_in_changes(user.migration_state, now)
    values = sign_in_values("user", user.user_id, changes)
    if unlocked:
        values.update(unchanged_values("user", user.user))
    if imported:
        record = await record_of_loaded_user(conn, {**user.user, **changes}, user.identities,
                                             federated_or_otp=user.federated_or_otp)
        event = event_row(USER_MIGRATED, migrated_event_data(record, via=VIA, details=details), subject=str(user.user_id))
        values.update(row_values("event", events, event))
    until = keep_until(verified.expires_at, leeway_seconds=issuer.leeway_seconds,
                       window_seconds=cfg.replay_window_seconds, now=now)
    values.update(claim_values("claim", verified.issuer, verified.replay_key, until, now))
    subject_limit = _subject_limit(state, verified.issuer, verified.subject) if state.settings.throttle.enabled else None
    if subject_limit is not None:
        values.update(throttle.hit_values("subject", subject_limit, now))
        values["subject__max_attempts"] = subject_limit.max_attempts
    key = await state.signing_keys.current(conn)
    id_claims = released_claims(user.user_id, user.user, user.identities, scope) if "openid" in scope else None
    grant = new_grant(state, key, client=client, user_id=user.user_id, scope=scope, session=None,
                      auth_time=_auth_time(verified.claims), nonce=None, amr=None, id_claims=id_claims)
    values.update(grant.values())
    audit = audit_row(actor=f"client:{client.client_id}", action="token_exchange.exchanged", target=str(user.user_id),
                      details={**attempt.fields(), "how": user.how})
    values.update(row_values("audit", audit_log, audit))
    writes = _writes(postgres=is_postgres(conn), imported=imported, refresh=grant.refresh is not None,
                     count_subject=subject_limit is not None, unlocked=unlocked)
    written = await writes.run(conn, values)
    if subject_limit is not None and written["subject"]["count"] > subject_limit.max_attempts:  # type: ignore[index]
        runtime.remember_throttled(subject_limit.key, subject_limit.window_seconds)
        raise _throttled()
    if written["claim"] is None:
        raise invalid_grant("the subject token has already been exchanged", "replay: token exchanged before")
    if written["user"] is None:  # cannot happen while the row is locked; never emit user.migrated twice
        raise RuntimeError("the user's migration_state changed during the exchange")
    return Exchanged({**grant.response, "issued_token_type": "urn:ietf:params:oauth:token-type:access_token"},
                     user.user_id, user.how)


def _throttled() -> ExchangeRefused:
    return ExchangeRefused(SLOW_DOWN, "too many token exchanges; try again later", reason="throttled", status=429)


def _subject_limit(state: ExchangeHost, issuer: str, subject: str) -> throttle.Limit:
    cfg = state.settings.migration.token_exchange
    return throttle.Limit(subject_key(issuer, subject), cfg.subject_max_exchanges, cfg.subject_window_seconds)


def _client_limit(state: ExchangeHost, client_id: str) -> throttle.Limit:
    cfg = state.settings.migration.token_exchange
    return throttle.Limit(client_key(client_id), cfg.client_max_exchanges, cfg.client_window_seconds)


async def _count_client(state: ExchangeHost, runtime: TokenExchangeRuntime, attempt: _Attempt) -> None:
    """Count the attempt against the client's limit; refuse past it.

    Every exchange of a client counts on the same row: each process adds its counts to it in
    batches (``throttle.BatchedCounters``), outside the exchange's transaction, so the exchanges
    do not queue on that row's lock. The subject's count is written with the exchange itself.
    """
    if not state.settings.throttle.enabled or attempt.client_counted:
        return
    limit = _client_limit(state, attempt.client_id)
    attempt.client_counted = True
    if await runtime.client_counts.hit(state.engine, limit) > limit.max_attempts:
        runtime.remember_throttled(limit.key, limit.window_seconds)
        raise _throttled()


async def _refused(state: ExchangeHost, runtime: TokenExchangeRuntime, exc: ExchangeRefused, attempt: _Attempt) -> None:
    """Log the reason; count the failure against the throttles; audit refusals about a known subject."""
    log.warning("token exchange refused", error=exc.error, reason=exc.reason, **attempt.fields())
    if exc.status != 400:  # issuer outages and throttling are not the client's failed attempts
        return
    try:
        if state.settings.throttle.enabled and attempt.issuer is not None and attempt.subject is not None:
            limit = _subject_limit(state, attempt.issuer, attempt.subject)  # its count rolled back with the exchange
            if await throttle.hit_alone(state.engine, limit) > limit.max_attempts:
                runtime.remember_throttled(limit.key, limit.window_seconds)
        await _count_client(state, runtime, attempt)
        if attempt.subject is not None:
            async with state.engine.begin() as conn:
                await record_audit(
                    conn, actor=f"client:{attempt.client_id}", action="token_exchange.refused", target=None,
                    details={**attempt.fields(), "error": exc.error, "reason": exc.reason},
                )
    except ExchangeRefused:
        pass  # over the limit now: the next attempt is refused early
    except Exception as err:  # noqa: BLE001 - the refusal stands even if its bookkeeping fails
        log.error("recording a refused token exchange failed", error_type=type(err).__name__)
