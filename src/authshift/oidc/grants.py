"""The token endpoint's grants (RFC 6749 section 4), in a registry keyed by ``grant_type``.

``GRANT_HANDLERS[grant_type]`` is ``async def handle(form, client, state, request_ip) -> dict``:
it gets the authenticated client (already checked to be allowed this grant type) and returns the
JSON token response, or raises ``OAuthError``. Other modules register their grants here (token
exchange adds ``urn:ietf:params:oauth:grant-type:token-exchange``); discovery advertises every
registered grant type.

Replays are answered by revoking: a reused authorization code revokes the grant made from it
(RFC 6749 4.1.2), a reused refresh token revokes its whole session (RFC 9700 4.14.2). The
revocation is committed before the error is returned.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from authshift.audit import record_audit
from authshift.logs import get_logger
from authshift.oidc.authorization import pkce_matches
from authshift.oidc.claims import OIDC_SCOPES, ScopeSyntaxError, parse_scope
from authshift.oidc.clients import (
    GRANT_AUTHORIZATION_CODE,
    GRANT_CLIENT_CREDENTIALS,
    GRANT_REFRESH_TOKEN,
    Client,
)
from authshift.oidc.errors import OAuthError
from authshift.oidc.sessions import get_active_session, get_session, revoke_session
from authshift.oidc.tables import authorization_codes, grants
from authshift.oidc.tokens import (
    TokenSubject,
    find_refresh_token,
    issue_client_token,
    live_grant,
    mark_refresh_token_used,
    mint_user_tokens,
    revoke_grant,
    start_grant,
    token_digest,
)
from authshift.storage.types import utcnow

if TYPE_CHECKING:
    from authshift.oidc.services import OidcServices

# The third argument is the process's state: each grant names what it needs of it (OidcServices
# here, token exchange's ExchangeHost, which adds its runtime), so the registry says Any.
GrantHandler = Callable[[Mapping[str, str], Client, Any, "str | None"], Awaitable[dict[str, Any]]]

log = get_logger("authshift.oidc")


def _required(form: Mapping[str, str], name: str) -> str:
    value = form.get(name)
    if not value:
        raise OAuthError("invalid_request", f"the {name} parameter is required")
    return value


async def authorization_code_grant(
    form: Mapping[str, str], client: Client, state: OidcServices, request_ip: str | None
) -> dict[str, Any]:
    """RFC 6749 4.1.3 (+ RFC 7636 4.5-4.6): exchange a code for tokens, once."""
    code = _required(form, "code")
    redirect_uri = form.get("redirect_uri")
    verifier = form.get("code_verifier")
    replayed = False
    async with state.engine.begin() as conn:
        row = (
            await conn.execute(sa.select(authorization_codes).where(authorization_codes.c.code_hash == token_digest(code)))
        ).mappings().first()
        if row is None or row["client_id"] != client.client_id:
            raise OAuthError("invalid_grant", "the authorization code is not valid")
        if row["used_at"] is None and row["expires_at"] <= utcnow():
            raise OAuthError("invalid_grant", "the authorization code has expired")
        if row["used_at"] is None:
            if redirect_uri != row["redirect_uri"]:
                raise OAuthError("invalid_grant", "redirect_uri does not match the authorization request")
            if row["code_challenge"] is not None:
                if not verifier:
                    raise OAuthError("invalid_grant", "code_verifier is required (PKCE)")
                if not pkce_matches(verifier, row["code_challenge"]):
                    raise OAuthError("invalid_grant", "code_verifier does not match the code_challenge")
            elif verifier:
                raise OAuthError("invalid_grant", "code_verifier sent for a request without code_challenge")
            used = await conn.execute(
                authorization_codes.update()
                .where(authorization_codes.c.code_hash == row["code_hash"], authorization_codes.c.used_at.is_(None))
                .values(used_at=utcnow())
            )
            replayed = not used.rowcount
        else:
            replayed = True
        if replayed:
            grant_id = (
                await conn.execute(
                    sa.select(authorization_codes.c.grant_id).where(authorization_codes.c.code_hash == row["code_hash"])
                )
            ).scalar()
            if grant_id is not None:
                await revoke_grant(conn, grant_id, "authorization code replayed")
            await record_audit(
                conn, actor=f"client:{client.client_id}", action="oauth.code_replayed",
                target=str(grant_id) if grant_id else None, details={"ip": request_ip},
            )
        else:
            session = await get_active_session(conn, row["session_id"])
            if session is None:
                raise OAuthError("invalid_grant", "the sign-in session has ended")
            grant_id, response = await start_grant(
                state, conn, client=client, user_id=row["user_id"], scope=row["scope"], session_id=session.id,
                auth_time=session.auth_time, nonce=row["nonce"], amr=session.amr,
            )
            await conn.execute(
                authorization_codes.update().where(authorization_codes.c.code_hash == row["code_hash"])
                .values(grant_id=grant_id)
            )
    if replayed:
        log.warning("authorization code replayed: its tokens are revoked", client_id=client.client_id, ip=request_ip)
        raise OAuthError("invalid_grant", "the authorization code has already been used")
    return response


async def refresh_token_grant(
    form: Mapping[str, str], client: Client, state: OidcServices, request_ip: str | None
) -> dict[str, Any]:
    """RFC 6749 section 6, with rotation: every refresh token works once (RFC 9700 4.14.2)."""
    presented = _required(form, "refresh_token")
    try:
        requested = parse_scope(form.get("scope")) if form.get("scope") else None
    except ScopeSyntaxError as exc:
        raise OAuthError("invalid_scope", str(exc)) from None
    replayed_session = None
    async with state.engine.begin() as conn:
        token = await find_refresh_token(conn, presented)
        grant_row = None
        if token is not None:
            grant_row = (await conn.execute(sa.select(grants).where(grants.c.id == token.grant_id))).mappings().first()
        if token is None or grant_row is None or grant_row["client_id"] != client.client_id:
            raise OAuthError("invalid_grant", "the refresh token is not valid")
        if token.used_at is not None or not await mark_refresh_token_used(conn, token.id):
            replayed_session = grant_row["session_id"]
            await revoke_session(conn, replayed_session, "refresh token replayed")
            await record_audit(
                conn, actor=f"client:{client.client_id}", action="oauth.refresh_token_replayed",
                target=str(replayed_session), details={"ip": request_ip, "grant_id": str(token.grant_id)},
            )
        else:
            if token.expires_at <= utcnow():
                raise OAuthError("invalid_grant", "the refresh token has expired")
            grant = await live_grant(conn, token.grant_id)
            if grant is None:
                raise OAuthError("invalid_grant", "the refresh token has been revoked")
            scope = grant.scope
            if requested is not None:
                if not set(requested) <= set(grant.scope):
                    raise OAuthError("invalid_scope", "the requested scope exceeds the scope originally granted")
                scope = requested
            session = await get_session(conn, grant.session_id)
            assert session is not None  # live_grant joined it
            subject = TokenSubject(client, grant.user_id, grant.id, grant.session_id, scope, session.auth_time,
                                   list(session.amr))
            response = await mint_user_tokens(state, conn, subject, with_refresh=True)
    if replayed_session is not None:
        log.warning("refresh token replayed: its session is revoked", client_id=client.client_id, ip=request_ip)
        raise OAuthError("invalid_grant", "the refresh token has already been used; the session is revoked")
    return response


async def client_credentials_grant(
    form: Mapping[str, str], client: Client, state: OidcServices, request_ip: str | None
) -> dict[str, Any]:
    """RFC 6749 4.4: a confidential client gets an access token for itself (no refresh token).
    The OpenID scopes are about a user and are refused; without ``scope`` the client gets the
    other scopes it is registered with."""
    if client.public:
        raise OAuthError("unauthorized_client", "a public client cannot use client_credentials")
    try:
        requested = parse_scope(form.get("scope"))
    except ScopeSyntaxError as exc:
        raise OAuthError("invalid_scope", str(exc)) from None
    user_scopes = [s for s in requested if s in OIDC_SCOPES]
    if user_scopes:
        raise OAuthError("invalid_scope", f"{' '.join(user_scopes)}: these scopes are about a user; client_credentials has none")
    if not client.allows_scopes(requested):
        raise OAuthError("invalid_scope", "scope not allowed for this client: "
                         + " ".join(s for s in requested if s not in client.scopes))
    scope = requested or [s for s in client.scopes if s not in OIDC_SCOPES]
    async with state.engine.begin() as conn:
        return await issue_client_token(state, conn, client=client, scope=scope)


GRANT_HANDLERS: dict[str, GrantHandler] = {
    GRANT_AUTHORIZATION_CODE: authorization_code_grant,
    GRANT_REFRESH_TOKEN: refresh_token_grant,
    GRANT_CLIENT_CREDENTIALS: client_credentials_grant,
}
