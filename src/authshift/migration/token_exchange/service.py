"""The token exchange itself: legacy token in, authshift tokens out (RFC 8693 section 2).

    parse the request -> route the token to its issuer -> verify it (network, no transaction)
    -> one transaction: claim the token (single use), find/link/create the user, mark them
       migrated, issue the tokens (a new session), audit, count against the throttles
    -> the RFC 8693 2.2.1 response

Everything that refuses raises ``ExchangeRefused``; the caller turns it into the OAuth JSON error.
Refusals are logged with their reason and the token's SHA-256 prefix, never the token.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncConnection

from authshift.accounts.migration_state import announce_migrated, record_sign_in
from authshift.audit import record_audit
from authshift.logs import get_logger
from authshift.migration.token_exchange.errors import (
    INVALID_SCOPE, INVALID_TARGET, SLOW_DOWN, ExchangeRefused, invalid_grant,
)
from authshift.migration.token_exchange.mapping import ResolvedUser, UserinfoNeeded, resolve_user
from authshift.migration.token_exchange.replay import claim_token, keep_until
from authshift.migration.token_exchange.request import ExchangeRequest, parse_request
from authshift.migration.token_exchange.runtime import TokenExchangeRuntime, runtime_for
from authshift.migration.token_exchange.validators import fetch_userinfo
from authshift.migration.token_exchange.verified import VerifiedToken, token_digest
from authshift.oidc.claims import ScopeSyntaxError, parse_scope
from authshift.oidc.clients import Client
from authshift.oidc.tokens import issue_tokens
from authshift.security import throttle
from authshift.storage.db import is_postgres
from authshift.storage.types import utcnow

if TYPE_CHECKING:
    from authshift.state import AppState

log = get_logger("authshift.token_exchange")

VIA = "token_exchange"


def _throttle_key(kind: str, value: str) -> str:
    return f"{kind}:{hashlib.sha256(value.encode()).hexdigest()[:40]}"


def client_key(client_id: str) -> str:
    return _throttle_key("tx-client", client_id)


def subject_key(issuer: str, subject: str) -> str:
    return _throttle_key("tx-subject", f"{issuer}\0{subject}")


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
    counted: bool = False  # already counted against the throttles

    def fields(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if v is not None and k != "counted"}


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


async def exchange(form: Mapping[str, str], client: Client, state: AppState, ip: str | None) -> Exchanged:
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
        await _count_attempt(state, runtime, _limits(state, client.client_id, issuer.name, verified.subject))
        attempt.counted = True
        userinfo: dict[str, Any] | None = None
        while True:
            try:
                async with state.engine.begin() as conn:
                    done = await _in_transaction(state, conn, runtime, client, verified, scope, attempt, userinfo)
                break
            except UserinfoNeeded:
                userinfo = await fetch_userinfo(
                    runtime.issuers.http(), issuer.settings, request.subject_token, verified.subject
                )
    except ExchangeRefused as exc:
        await _refused(state, runtime, exc, attempt)
        raise
    log.info("token exchanged", how=done.how, user_id=str(done.user_id), **attempt.fields())
    return done


async def _in_transaction(
    state: AppState,
    conn: AsyncConnection,
    runtime: TokenExchangeRuntime,
    client: Client,
    verified: VerifiedToken,
    scope: list[str],
    attempt: _Attempt,
    userinfo: dict[str, Any] | None,
) -> Exchanged:
    cfg = state.settings.migration.token_exchange
    issuer_cfg = runtime.issuers.get(verified.issuer)
    assert issuer_cfg is not None
    now = utcnow()
    until = keep_until(verified.expires_at, leeway_seconds=issuer_cfg.settings.leeway_seconds,
                       window_seconds=cfg.replay_window_seconds, now=now)
    if not await claim_token(conn, verified.issuer, verified.replay_key, until, now=now):
        raise invalid_grant("the subject token has already been exchanged", "replay: token exchanged before")
    user: ResolvedUser = await resolve_user(conn, verified, issuer_cfg.settings, ctx=state.accounts, userinfo=userinfo)
    details = {"issuer": verified.issuer}
    if user.how == "created":
        await announce_migrated(conn, user.user_id, via=VIA, details=details)
    await record_sign_in(conn, user.user_id, user.migration_state, via=VIA, details=details)
    response = await issue_tokens(
        state, conn, client=client, user_id=user.user_id, scope=scope, auth_time=_auth_time(verified.claims),
    )
    await record_audit(
        conn, actor=f"client:{client.client_id}", action="token_exchange.exchanged", target=str(user.user_id),
        details={**attempt.fields(), "how": user.how},
    )
    return Exchanged({**response, "issued_token_type": "urn:ietf:params:oauth:token-type:access_token"},
                     user.user_id, user.how)


def _limits(state: AppState, client_id: str, issuer: str | None, subject: str | None) -> list[throttle.Limit]:
    """The subject's limit, then the client's: the client's row is shared by all its exchanges, so
    it is updated last, right before the counting transaction commits."""
    cfg = state.settings.migration.token_exchange
    limits = []
    if issuer is not None and subject is not None:
        limits.append(throttle.Limit(subject_key(issuer, subject), cfg.subject_max_exchanges, cfg.subject_window_seconds))
    limits.append(throttle.Limit(client_key(client_id), cfg.client_max_exchanges, cfg.client_window_seconds))
    return limits


async def _count_attempt(state: AppState, runtime: TokenExchangeRuntime, limits: list[throttle.Limit]) -> None:
    """Count one attempt against each limit, outside the exchange's transaction; refuse past a limit.

    A client's counter is one row that every exchange of that client updates. Inside the
    exchange's transaction its lock would be held until the commit and serialise the client's
    exchanges; on PostgreSQL each hit is its own statement in autocommit mode, so the row is
    locked only while the server runs that statement. (SQLite serialises writers anyway.)
    """
    if not state.settings.throttle.enabled:
        return
    exceeded = False
    async with state.engine.connect() as conn:
        if is_postgres(conn):
            await conn.execution_options(isolation_level="AUTOCOMMIT")
        else:
            await conn.begin()
        for limit in limits:
            if await throttle.hit(conn, limit) > limit.max_attempts:
                runtime.remember_throttled(limit.key, limit.window_seconds)
                exceeded = True
        if conn.in_transaction():
            await conn.commit()
    if exceeded:
        raise ExchangeRefused(SLOW_DOWN, "too many token exchanges; try again later", reason="throttled", status=429)


async def _refused(state: AppState, runtime: TokenExchangeRuntime, exc: ExchangeRefused, attempt: _Attempt) -> None:
    """Log the reason; count the failure against the throttles; audit refusals about a known subject."""
    log.warning("token exchange refused", error=exc.error, reason=exc.reason, **attempt.fields())
    if exc.status != 400:  # issuer outages and throttling are not the client's failed attempts
        return
    try:
        if not attempt.counted:
            await _count_attempt(state, runtime, _limits(state, attempt.client_id, attempt.issuer, attempt.subject))
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
