"""Tokens: issuing them for every grant, checking them for userinfo and introspection.

- Access tokens are JWTs in the profile of RFC 9068 (``typ: at+jwt``): ``iss``, ``sub``, ``aud``
  (the client), ``client_id``, ``scope``, ``iat``, ``exp``, ``jti``, and for user tokens ``sid``
  (the session), ``auth_time``, ``amr`` and ``grant_id`` (the grant they were issued from, so
  revoking a grant makes its access tokens inactive at introspection and userinfo).
- ID tokens follow OpenID Connect Core 1.0 section 2 and 3.1.3.6: ``nonce``, ``auth_time``,
  ``amr``, ``sid``, ``at_hash`` and the claims of the granted scopes.
- Refresh tokens are opaque, stored as SHA-256 digests, single use (rotated on every refresh).
  One is issued when the client may use the ``refresh_token`` grant and either the scope holds
  ``offline_access`` or the client is confidential (a public client must ask for offline access).
"""

from __future__ import annotations

import functools
import secrets
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from authlib.oidc.core.util import create_half_hash
from joserfc import jwt
from joserfc.errors import JoseError
from sqlalchemy.ext.asyncio import AsyncConnection

from authshift.ids import uuid7
from authshift.oidc.claims import format_scope, parse_scope, user_claims
from authshift.oidc.clients import GRANT_REFRESH_TOKEN, Client, get_client
from authshift.oidc.errors import OAuthError
from authshift.oidc.keys import SUPPORTED_ALGS, SigningKey, sign, verification_keys
from authshift.oidc.sessions import (
    Session,
    get_active_session,
    session_from_row,
    session_row,
)
from authshift.oidc.tables import grants, refresh_tokens, revoked_tokens, sessions
from authshift.security.digests import secret_digest
from authshift.storage.combined import CombinedWrite, Write, row_insert, row_values
from authshift.storage.tables import users
from authshift.storage.types import utcnow

if TYPE_CHECKING:
    from authshift.oidc.services import OidcServices

ACCESS_TOKEN_TYP = "at+jwt"


token_digest = secret_digest  # codes and refresh tokens are stored by digest


def refresh_allowed(client: Client, scope: Sequence[str]) -> bool:
    return client.allows_grant(GRANT_REFRESH_TOKEN) and ("offline_access" in scope or not client.public)


def _scope_list(scope: str | Sequence[str]) -> list[str]:
    return parse_scope(scope) if isinstance(scope, str) else list(dict.fromkeys(scope))


async def issue_tokens(
    state: OidcServices,
    conn: AsyncConnection,
    *,
    client: Client,
    user_id: uuid.UUID,
    scope: str | Sequence[str],
    session_id: uuid.UUID | None = None,
    auth_time: datetime | None = None,
    nonce: str | None = None,
    amr: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Issue the tokens of a new grant of ``client`` by ``user_id``: an access token, a refresh token
    when allowed, and an ID token when ``openid`` is in ``scope``. With ``session_id`` None a new
    ``client`` session is created for this client. Returns the token response (RFC 6749 5.1)."""
    _grant_id, response = await start_grant(
        state, conn, client=client, user_id=user_id, scope=scope, session_id=session_id, auth_time=auth_time,
        nonce=nonce, amr=amr,
    )
    return response


async def start_grant(
    state: OidcServices,
    conn: AsyncConnection,
    *,
    client: Client,
    user_id: uuid.UUID,
    scope: str | Sequence[str],
    session_id: uuid.UUID | None,
    auth_time: datetime | None,
    nonce: str | None,
    amr: Sequence[str] | None,
) -> tuple[uuid.UUID, dict[str, Any]]:
    """``issue_tokens``, also returning the id of the grant it made."""
    scopes = _scope_list(scope)
    session = None
    if session_id is not None:
        session = await get_active_session(conn, session_id)
        if session is None or session.user_id != user_id:
            raise OAuthError("invalid_grant", "the sign-in session has ended")
    key = await state.signing_keys.current(conn)
    id_claims = await user_claims(conn, user_id, scopes) if "openid" in scopes else None
    grant = new_grant(state, key, client=client, user_id=user_id, scope=scopes, session=session, auth_time=auth_time,
                      nonce=nonce, amr=amr, id_claims=id_claims)
    await grant_writes(new_session=grant.session is not None, refresh=grant.refresh is not None).run(conn, grant.values())
    return grant.grant_id, grant.response


@dataclass(frozen=True)
class NewGrant:
    """A new grant built in memory: its rows, and the token response to give once they are
    written (with ``grant_writes``, or with the caller's other rows: ``grant_write_list``)."""

    grant_id: uuid.UUID
    session: dict[str, Any] | None  # the new session's row; None when the grant joins an existing session
    grant: dict[str, Any]
    refresh: dict[str, Any] | None
    response: dict[str, Any]

    def values(self) -> dict[str, Any]:
        """The bind values of ``grant_write_list`` for this grant."""
        values = row_values("grant", grants, self.grant)
        if self.session is not None:
            values.update(row_values("session", sessions, self.session))
        if self.refresh is not None:
            values.update(row_values("refresh", refresh_tokens, self.refresh))
        return values


def grant_write_list(*, new_session: bool, refresh: bool) -> list[Write]:
    """The inserts of a ``NewGrant`` (session, grant, refresh token), in foreign-key order."""
    return [
        *([row_insert("session", sessions)] if new_session else []),
        row_insert("grant", grants),
        *([row_insert("refresh", refresh_tokens)] if refresh else []),
    ]


@functools.cache
def grant_writes(*, new_session: bool, refresh: bool) -> CombinedWrite:
    return CombinedWrite(grant_write_list(new_session=new_session, refresh=refresh))


def new_grant(
    state: OidcServices,
    key: SigningKey,
    *,
    client: Client,
    user_id: uuid.UUID,
    scope: list[str],
    session: Session | None,
    auth_time: datetime | None,
    nonce: str | None,
    amr: Sequence[str] | None,
    id_claims: dict[str, Any] | None,
) -> NewGrant:
    """A grant of ``client`` by ``user_id`` in ``session`` (None: a new ``client`` session), with
    its tokens signed. ``id_claims`` (``user_claims``) are needed when ``openid`` is in ``scope``."""
    session_values = None
    if session is None:
        session_values = session_row(user_id, kind="client", amr=list(amr or ()), auth_time=auth_time,
                                     client_id=client.client_id)
        session = session_from_row(session_values)
    grant_id = uuid7()
    grant = {"id": grant_id, "session_id": session.id, "client_id": client.client_id, "user_id": user_id,
             "scope": format_scope(scope), "created_at": utcnow()}
    refresh_token, refresh = None, None
    if refresh_allowed(client, scope):
        refresh_token, refresh = refresh_row(grant_id, state.settings.oidc.refresh_token_ttl_seconds)
    subject = TokenSubject(client, user_id, grant_id, session.id, scope, auth_time or session.auth_time,
                           list(amr) if amr is not None else list(session.amr), nonce)
    response = sign_user_tokens(state, key, subject, refresh_token=refresh_token, id_claims=id_claims)
    return NewGrant(grant_id, session_values, grant, refresh, response)


@dataclass(frozen=True)
class TokenSubject:
    """What the tokens of a grant say: who, for which client, in which session, with what scope."""

    client: Client
    user_id: uuid.UUID
    grant_id: uuid.UUID
    session_id: uuid.UUID
    scope: list[str]
    auth_time: datetime
    amr: list[str]
    nonce: str | None = None


async def mint_user_tokens(state: OidcServices, conn: AsyncConnection, subject: TokenSubject, *, with_refresh: bool) -> dict[str, Any]:
    """Tokens for an existing grant (every refresh)."""
    key = await state.signing_keys.current(conn)
    refresh_token = None
    if with_refresh and refresh_allowed(subject.client, subject.scope):
        refresh_token = await create_refresh_token(conn, subject.grant_id, state.settings.oidc.refresh_token_ttl_seconds)
    id_claims = await user_claims(conn, subject.user_id, subject.scope) if "openid" in subject.scope else None
    return sign_user_tokens(state, key, subject, refresh_token=refresh_token, id_claims=id_claims)


def sign_user_tokens(
    state: OidcServices, key: SigningKey, subject: TokenSubject, *, refresh_token: str | None, id_claims: dict[str, Any] | None
) -> dict[str, Any]:
    """The token response of a grant: the access token, the refresh token given, and the ID token
    (from ``id_claims``) when ``openid`` is in the scope."""
    cfg = state.settings.oidc
    issuer = state.settings.public_issuer
    client_id, scope = subject.client.client_id, format_scope(subject.scope)
    now = int(time.time())
    common: dict[str, Any] = {"iss": issuer, "aud": client_id, "iat": now, "auth_time": int(subject.auth_time.timestamp()),
                              "amr": subject.amr, "sid": str(subject.session_id)}
    access_token = sign(key, {
        **common, "sub": str(subject.user_id), "client_id": client_id, "scope": scope,
        "exp": now + cfg.access_token_ttl_seconds, "jti": secrets.token_urlsafe(16), "grant_id": str(subject.grant_id),
    }, typ=ACCESS_TOKEN_TYP)
    response: dict[str, Any] = {
        "access_token": access_token, "token_type": "Bearer", "expires_in": cfg.access_token_ttl_seconds, "scope": scope,
    }
    if refresh_token is not None:
        response["refresh_token"] = refresh_token
    if "openid" in subject.scope:
        if id_claims is None:
            raise ValueError("an ID token needs the user's claims")
        claims = {**id_claims, **common, "exp": now + cfg.id_token_ttl_seconds,
                  "at_hash": create_half_hash(access_token, key.alg).decode()}
        if subject.nonce:
            claims["nonce"] = subject.nonce
        response["id_token"] = sign(key, claims)
    return response


async def issue_client_token(state: OidcServices, conn: AsyncConnection, *, client: Client, scope: Sequence[str]) -> dict[str, Any]:
    """An access token for a client acting on its own behalf (RFC 6749 4.4): no user, no refresh token."""
    cfg = state.settings.oidc
    key = await state.signing_keys.current(conn)
    now = int(time.time())
    claims = {
        "iss": state.settings.public_issuer, "sub": client.client_id, "aud": client.client_id,
        "client_id": client.client_id, "scope": format_scope(list(scope)), "iat": now,
        "exp": now + cfg.access_token_ttl_seconds, "jti": secrets.token_urlsafe(16),
    }
    return {
        "access_token": sign(key, claims, typ=ACCESS_TOKEN_TYP), "token_type": "Bearer",
        "expires_in": cfg.access_token_ttl_seconds, "scope": format_scope(list(scope)),
    }


def refresh_row(grant_id: uuid.UUID, ttl_seconds: int) -> tuple[str, dict[str, Any]]:
    """A new refresh token of a grant, and its row (which stores only its digest)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    return token, {"id": uuid7(), "token_hash": token_digest(token), "grant_id": grant_id, "created_at": now,
                   "expires_at": now + timedelta(seconds=ttl_seconds), "used_at": None}


async def create_refresh_token(conn: AsyncConnection, grant_id: uuid.UUID, ttl_seconds: int) -> str:
    token, row = refresh_row(grant_id, ttl_seconds)
    await conn.execute(refresh_tokens.insert(), row)
    return token


# --- grants -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LiveGrant:
    id: uuid.UUID
    session_id: uuid.UUID
    client_id: str
    user_id: uuid.UUID
    scope: list[str]


async def live_grant(conn: AsyncConnection, grant_id: uuid.UUID) -> LiveGrant | None:
    """The grant when it, its session and its user are all still in good standing."""
    row = (
        await conn.execute(
            sa.select(grants.c.id, grants.c.session_id, grants.c.client_id, grants.c.user_id, grants.c.scope)
            .join(sessions, sessions.c.id == grants.c.session_id)
            .join(users, users.c.id == grants.c.user_id)
            .where(
                grants.c.id == grant_id, grants.c.revoked_at.is_(None), sessions.c.revoked_at.is_(None),
                users.c.disabled.is_(False),
            )
        )
    ).first()
    if row is None:
        return None
    return LiveGrant(row.id, row.session_id, row.client_id, row.user_id, parse_scope(row.scope))


async def revoke_grant(conn: AsyncConnection, grant_id: uuid.UUID, reason: str) -> None:
    await conn.execute(
        grants.update().where(grants.c.id == grant_id, grants.c.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revoked_reason=reason)
    )


# --- access tokens ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AccessToken:
    claims: dict[str, Any]

    @property
    def jti(self) -> str:
        return str(self.claims["jti"])

    @property
    def client_id(self) -> str:
        return str(self.claims["client_id"])

    @property
    def scope(self) -> list[str]:
        return parse_scope(self.claims.get("scope", ""))

    @property
    def user_id(self) -> uuid.UUID | None:
        return uuid.UUID(self.claims["sub"]) if "grant_id" in self.claims else None

    @property
    def grant_id(self) -> uuid.UUID | None:
        return uuid.UUID(self.claims["grant_id"]) if "grant_id" in self.claims else None


async def decode_own_jwt(conn: AsyncConnection, token: str, *, issuer: str, typ: str | None,
                         check_expiry: bool = True, include_unpublished: bool = False) -> dict[str, Any] | None:
    """The claims of a JWT we signed (signature, ``iss``, ``typ`` and expiry checked), else ``None``."""
    try:
        decoded = jwt.decode(
            token, await verification_keys(conn, include_unpublished=include_unpublished), algorithms=list(SUPPORTED_ALGS)
        )
    except (JoseError, ValueError):
        return None
    if typ is not None and str(decoded.header.get("typ", "")).lower() != typ:
        return None
    claims = dict(decoded.claims)
    if claims.get("iss") != issuer:
        return None
    if check_expiry and not (isinstance(claims.get("exp"), int) and claims["exp"] > time.time()):
        return None
    return claims


async def verify_access_token(state: OidcServices, conn: AsyncConnection, token: str) -> AccessToken | None:
    """An access token that is valid now: signed by us, unexpired, not revoked, its grant, session
    and user in good standing (or, for a client's own token, its client still registered)."""
    claims = await decode_own_jwt(conn, token, issuer=state.settings.public_issuer, typ=ACCESS_TOKEN_TYP)
    if claims is None or not isinstance(claims.get("jti"), str) or not isinstance(claims.get("client_id"), str):
        return None
    if (await conn.execute(sa.select(revoked_tokens.c.jti).where(revoked_tokens.c.jti == claims["jti"]))).first():
        return None
    info = AccessToken(claims)
    try:
        grant_id = info.grant_id
    except ValueError:
        return None
    if grant_id is not None:
        if await live_grant(conn, grant_id) is None:
            return None
    elif await get_client(conn, info.client_id) is None:
        return None
    return info


async def revoke_access_token(conn: AsyncConnection, info: AccessToken) -> None:
    expires_at = datetime.fromtimestamp(int(info.claims["exp"]), tz=utcnow().tzinfo)
    exists = (await conn.execute(sa.select(revoked_tokens.c.jti).where(revoked_tokens.c.jti == info.jti))).first()
    if not exists:
        await conn.execute(revoked_tokens.insert().values(jti=info.jti, expires_at=expires_at))


# --- refresh tokens -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RefreshTokenRow:
    id: uuid.UUID
    grant_id: uuid.UUID
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None


async def find_refresh_token(conn: AsyncConnection, token: str) -> RefreshTokenRow | None:
    row = (
        await conn.execute(sa.select(refresh_tokens).where(refresh_tokens.c.token_hash == token_digest(token)))
    ).mappings().first()
    if row is None:
        return None
    return RefreshTokenRow(row["id"], row["grant_id"], row["created_at"], row["expires_at"], row["used_at"])


async def mark_refresh_token_used(conn: AsyncConnection, token_id: uuid.UUID) -> bool:
    """Atomically use a refresh token once; false when it was already used (a replay)."""
    result = await conn.execute(
        refresh_tokens.update().where(refresh_tokens.c.id == token_id, refresh_tokens.c.used_at.is_(None))
        .values(used_at=utcnow())
    )
    return bool(result.rowcount)


async def prune_expired(conn: AsyncConnection) -> None:
    """Delete what can no longer matter: expired revocation entries and refresh tokens, old codes."""
    now = utcnow()
    await conn.execute(revoked_tokens.delete().where(revoked_tokens.c.expires_at < now))
    await conn.execute(refresh_tokens.delete().where(refresh_tokens.c.expires_at < now - timedelta(days=1)))
