"""OAuth clients: registration, lookup and authentication (RFC 6749 sections 2 and 2.3).

- Confidential clients get a secret, shown once at creation and stored as a SHA-256 digest
  (secrets are 256-bit random values, so a fast digest is enough); presented secrets are compared
  in constant time. Public clients (``--public``) have none and must use PKCE.
- Redirect URIs are registered in full and matched exactly (RFC 6749 3.1.2, RFC 9700 4.1.3):
  https, http only on a loopback host, or a private-use scheme with a dot for native apps
  (RFC 8252 7.1). No fragments.
- Grant types: ``authorization_code``, ``refresh_token``, ``client_credentials`` and token exchange
  (``token-exchange`` is accepted as shorthand for its URN).
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from authshift.config import LOOPBACK_HOSTS
from authshift.errors import ErrorList, NotFound
from authshift.oidc.claims import OIDC_SCOPES, ScopeSyntaxError, parse_scope
from authshift.oidc.tables import oauth_clients
from authshift.security.digests import secret_digest
from authshift.storage.types import utcnow

GRANT_AUTHORIZATION_CODE = "authorization_code"
GRANT_REFRESH_TOKEN = "refresh_token"
GRANT_CLIENT_CREDENTIALS = "client_credentials"
GRANT_TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
GRANT_ALIASES = {"token-exchange": GRANT_TOKEN_EXCHANGE, "token_exchange": GRANT_TOKEN_EXCHANGE}
KNOWN_GRANT_TYPES = (GRANT_AUTHORIZATION_CODE, GRANT_REFRESH_TOKEN, GRANT_CLIENT_CREDENTIALS, GRANT_TOKEN_EXCHANGE)
DEFAULT_GRANT_TYPES = (GRANT_AUTHORIZATION_CODE, GRANT_REFRESH_TOKEN)


@dataclass(frozen=True)
class Client:
    client_id: str
    name: str
    public: bool
    redirect_uris: tuple[str, ...]
    post_logout_redirect_uris: tuple[str, ...]
    grant_types: tuple[str, ...]
    scopes: tuple[str, ...]
    created_at: datetime
    secret_hash: str | None = field(default=None, repr=False)

    def allows_grant(self, grant_type: str) -> bool:
        return normalize_grant_type(grant_type) in self.grant_types

    def allows_scopes(self, scope: Sequence[str]) -> bool:
        return all(s in self.scopes for s in scope)

    def check_secret(self, presented: str) -> bool:
        """Constant-time comparison of a presented secret with the stored digest."""
        expected = self.secret_hash or secret_digest(secrets.token_urlsafe(16))
        return hmac.compare_digest(expected, secret_digest(presented)) and self.secret_hash is not None

    def as_dict(self) -> dict[str, Any]:
        return {
            "client_id": self.client_id,
            "name": self.name,
            "public": self.public,
            "token_endpoint_auth_method": "none" if self.public else "client_secret_basic",
            "redirect_uris": list(self.redirect_uris),
            "post_logout_redirect_uris": list(self.post_logout_redirect_uris),
            "grant_types": list(self.grant_types),
            "scopes": list(self.scopes),
            "created_at": self.created_at.isoformat().replace("+00:00", "Z"),
        }


@dataclass(frozen=True)
class ClientSpec:
    """What a client is created from (the CLI options and the admin API body)."""

    name: str
    redirect_uris: Sequence[str] = ()
    public: bool = False
    grant_types: Sequence[str] = ()
    post_logout_redirect_uris: Sequence[str] = ()
    scopes: Sequence[str] = ()


def normalize_grant_type(value: str) -> str:
    return GRANT_ALIASES.get(value, value)


def redirect_uri_problem(uri: str) -> str | None:
    """Why ``uri`` cannot be registered as a redirect URI, or ``None`` when it can."""
    try:
        parts = urlsplit(uri)
    except ValueError:
        return "is not a valid URI"
    if not parts.scheme:
        return "must be an absolute URI"
    if parts.fragment or "#" in uri:
        return "must not contain a fragment"
    if parts.scheme == "https":
        return None if parts.hostname else "must name a host"
    if parts.scheme == "http":
        return None if parts.hostname in LOOPBACK_HOSTS else "must use https (http is allowed only for localhost, 127.0.0.1 and ::1)"
    if "." in parts.scheme:  # RFC 8252 7.1: a private-use scheme in reverse-domain form
        return None
    return "must use https, loopback http or a reverse-domain private-use scheme (com.example.app:/callback)"


def _check_spec(spec: ClientSpec) -> tuple[tuple[str, ...], tuple[str, ...]]:
    errors = ErrorList()
    if not spec.name or not spec.name.strip():
        errors.add("name", "a client needs a name")
    grant_types = tuple(dict.fromkeys(normalize_grant_type(g) for g in spec.grant_types)) or DEFAULT_GRANT_TYPES
    for g in grant_types:
        if g not in KNOWN_GRANT_TYPES:
            errors.add("grant_types", f"unknown grant type {g!r} (known: {', '.join(KNOWN_GRANT_TYPES)}, token-exchange)")
    if spec.public and GRANT_CLIENT_CREDENTIALS in grant_types:
        errors.add("grant_types", "a public client cannot use client_credentials (it has no secret)")
    if GRANT_AUTHORIZATION_CODE in grant_types and not spec.redirect_uris:
        errors.add("redirect_uris", "the authorization_code grant needs at least one redirect URI")
    for field_name, uris in (("redirect_uris", spec.redirect_uris), ("post_logout_redirect_uris", spec.post_logout_redirect_uris)):
        for i, uri in enumerate(uris):
            problem = redirect_uri_problem(uri)
            if problem:
                errors.add(f"{field_name}[{i}]", f"{uri!r} {problem}")
    scopes: tuple[str, ...] = OIDC_SCOPES
    if spec.scopes:
        try:
            scopes = tuple(parse_scope(" ".join(spec.scopes)))
        except ScopeSyntaxError as exc:
            errors.add("scopes", str(exc))
    errors.raise_if_any("the client is not valid")
    return grant_types, scopes


def _from_row(row: Any) -> Client:
    return Client(
        client_id=row["client_id"], name=row["name"], public=row["secret_hash"] is None,
        redirect_uris=tuple(row["redirect_uris"]), post_logout_redirect_uris=tuple(row["post_logout_redirect_uris"]),
        grant_types=tuple(row["grant_types"]), scopes=tuple(row["scopes"]), created_at=row["created_at"],
        secret_hash=row["secret_hash"],
    )


def new_client_id() -> str:
    """A random client id that does not begin with ``-``: one in 64 ``token_urlsafe`` ids does,
    and ``authshift clients delete -Ab...`` then reads the id as an option."""
    while True:
        client_id = secrets.token_urlsafe(18)
        if not client_id.startswith("-"):
            return client_id


async def create_client(conn: AsyncConnection, spec: ClientSpec) -> tuple[Client, str | None]:
    """Register a client; returns it and its secret (``None`` for a public client). The secret is
    not stored and cannot be shown again."""
    grant_types, scopes = _check_spec(spec)
    client_id = new_client_id()
    secret = None if spec.public else secrets.token_urlsafe(32)
    values = {
        "client_id": client_id, "name": spec.name.strip(), "secret_hash": secret_digest(secret) if secret else None,
        "redirect_uris": list(dict.fromkeys(spec.redirect_uris)),
        "post_logout_redirect_uris": list(dict.fromkeys(spec.post_logout_redirect_uris)),
        "grant_types": list(grant_types), "scopes": list(scopes), "created_at": utcnow(),
    }
    await conn.execute(oauth_clients.insert().values(**values))
    return _from_row(values), secret


async def get_client(conn: AsyncConnection, client_id: str) -> Client | None:
    row = (await conn.execute(sa.select(oauth_clients).where(oauth_clients.c.client_id == client_id))).mappings().first()
    return _from_row(row) if row else None


async def require_client(conn: AsyncConnection, client_id: str) -> Client:
    client = await get_client(conn, client_id)
    if client is None:
        raise NotFound(f"no client with id {client_id}")
    return client


async def list_clients(conn: AsyncConnection) -> list[Client]:
    rows = await conn.execute(sa.select(oauth_clients).order_by(oauth_clients.c.created_at, oauth_clients.c.client_id))
    return [_from_row(r) for r in rows.mappings()]


async def delete_client(conn: AsyncConnection, client_id: str) -> None:
    """Delete a client with its codes, grants and refresh tokens (they cascade)."""
    result = await conn.execute(oauth_clients.delete().where(oauth_clients.c.client_id == client_id))
    if not result.rowcount:
        raise NotFound(f"no client with id {client_id}")
