"""The authorization endpoint's protocol rules (RFC 6749 section 4.1, RFC 7636, RFC 9207 and
OpenID Connect Core 1.0 section 3.1.2), with no HTTP in them.

- A missing or unknown ``client_id``, or a ``redirect_uri`` that is not registered for the client
  (exact string match), is shown to the user and never redirected to (RFC 6749 4.1.2.1).
- Every other error goes back to the client's redirect URI as ``error``, ``error_description``,
  ``state`` and ``iss`` (RFC 9207).
- PKCE (RFC 7636): S256 only; ``plain`` is refused; public clients must send a challenge.
- ``prompt=none`` without a usable session answers ``login_required``; ``prompt=login`` and
  ``max_age`` force a fresh sign-in (section 3.1.2.1).

A validated request travels through the login pages as a signed token (``encode_request``); its
``issued_at`` lets ``needs_login`` tell a sign-in made for this request from an older one.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from authlib.oauth2.rfc7636.challenge import CODE_CHALLENGE_PATTERN, CODE_VERIFIER_PATTERN, create_s256_code_challenge
from sqlalchemy.ext.asyncio import AsyncConnection

from authshift.oidc.claims import ScopeSyntaxError, format_scope, parse_scope
from authshift.oidc.clients import GRANT_AUTHORIZATION_CODE, Client, get_client
from authshift.oidc.sessions import Session
from authshift.oidc.tables import authorization_codes
from authshift.oidc.tokens import token_digest
from authshift.security.signing import BadSignature, Signer
from authshift.storage.types import utcnow

REQUEST_PURPOSE = "authorization-request"
PROMPT_VALUES = ("none", "login", "consent", "select_account")
MAX_PARAM_LENGTH = 2048


class DisplayError(Exception):
    """An error shown on our own page: the redirect URI cannot be trusted."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RedirectError(Exception):
    """An error for the client, sent to its (verified) redirect URI."""

    def __init__(self, error: str, description: str, redirect_uri: str, state: str | None) -> None:
        super().__init__(f"{error}: {description}")
        self.error, self.description, self.redirect_uri, self.state = error, description, redirect_uri, state

    def location(self, issuer: str) -> str:
        params = {"error": self.error, "error_description": self.description}
        if self.state is not None:
            params["state"] = self.state
        params["iss"] = issuer
        return add_query(self.redirect_uri, params)


@dataclass(frozen=True)
class AuthorizationRequest:
    client_id: str
    redirect_uri: str
    scope: tuple[str, ...]
    state: str | None
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    prompt: tuple[str, ...]
    max_age: int | None
    login_hint: str | None
    issued_at: float  # when the request arrived (sub-second: a sign-in a moment earlier is older)


def add_query(uri: str, params: dict[str, str]) -> str:
    parts = urlsplit(uri)
    query = f"{parts.query}&{urlencode(params)}" if parts.query else urlencode(params)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


async def validate_request(conn: AsyncConnection, pairs: Sequence[tuple[str, str]]) -> tuple[AuthorizationRequest, Client]:
    """Check an authorization request; raises ``DisplayError`` or ``RedirectError``."""
    params: dict[str, str] = {}
    repeated: set[str] = set()
    for name, value in pairs:
        if name in params:
            repeated.add(name)
        params[name] = value
    client_id = params.get("client_id")
    if not client_id or "client_id" in repeated:
        raise DisplayError("The request does not name its application (client_id is missing).")
    client = await get_client(conn, client_id)
    if client is None:
        raise DisplayError("The application that sent you here is not registered with this server.")
    redirect_uri = params.get("redirect_uri")
    if not redirect_uri or "redirect_uri" in repeated:
        raise DisplayError("The request does not say where to return to (redirect_uri is missing).")
    if redirect_uri not in client.redirect_uris:
        raise DisplayError("The address this application asked to return to is not registered for it.")
    state = params.get("state")

    def fail(error: str, description: str) -> RedirectError:
        return RedirectError(error, description, redirect_uri, state)

    if repeated:
        raise fail("invalid_request", f"parameters sent more than once: {', '.join(sorted(repeated))}")
    if any(len(v) > MAX_PARAM_LENGTH for v in params.values()):
        raise fail("invalid_request", f"a parameter is longer than {MAX_PARAM_LENGTH} characters")
    if "request" in params:
        raise fail("request_not_supported", "request objects are not supported")
    if "request_uri" in params:
        raise fail("request_uri_not_supported", "request_uri is not supported")
    if not client.allows_grant(GRANT_AUTHORIZATION_CODE):
        raise fail("unauthorized_client", "this client may not use the authorization code flow")
    if params.get("response_type") != "code":
        raise fail("unsupported_response_type", "only response_type=code is supported")
    if params.get("response_mode", "query") != "query":
        raise fail("invalid_request", "only response_mode=query is supported")
    try:
        scope = parse_scope(params.get("scope"))
    except ScopeSyntaxError as exc:
        raise fail("invalid_scope", str(exc)) from None
    if not scope:
        raise fail("invalid_scope", "the scope parameter is required")
    if not client.allows_scopes(scope):
        unknown = [s for s in scope if s not in client.scopes]
        raise fail("invalid_scope", f"scope not allowed for this client: {' '.join(unknown)}")

    challenge = params.get("code_challenge")
    method = params.get("code_challenge_method")
    if challenge is None:
        if method is not None:
            raise fail("invalid_request", "code_challenge_method without code_challenge")
        if client.public:
            raise fail("invalid_request", "PKCE is required: send code_challenge with code_challenge_method=S256")
    else:
        if method != "S256":  # RFC 7636 4.3: an absent method means "plain", which we refuse
            raise fail("invalid_request", "code_challenge_method must be S256 (plain is not accepted)")
        if not CODE_CHALLENGE_PATTERN.match(challenge):
            raise fail("invalid_request", "code_challenge must be 43 to 128 characters of [A-Za-z0-9-._~]")

    prompt = tuple(p for p in params.get("prompt", "").split(" ") if p)
    if any(p not in PROMPT_VALUES for p in prompt):
        raise fail("invalid_request", f"prompt values are {', '.join(PROMPT_VALUES)}")
    if "none" in prompt and len(prompt) > 1:
        raise fail("invalid_request", "prompt=none cannot be combined with other values")
    max_age: int | None = None
    if "max_age" in params:
        try:
            max_age = int(params["max_age"])
        except ValueError:
            max_age = -1
        if max_age < 0:
            raise fail("invalid_request", "max_age must be a non-negative integer")

    request = AuthorizationRequest(
        client_id=client.client_id, redirect_uri=redirect_uri, scope=tuple(scope), state=state,
        nonce=params.get("nonce"), code_challenge=challenge, code_challenge_method=method, prompt=prompt,
        max_age=max_age, login_hint=params.get("login_hint"), issued_at=time.time(),
    )
    return request, client


def encode_request(secret_key: bytes, request: AuthorizationRequest, ttl_seconds: int) -> str:
    return Signer(secret_key, REQUEST_PURPOSE).sign(asdict(request), ttl_seconds=ttl_seconds)


def decode_request(secret_key: bytes, token: str | None) -> AuthorizationRequest | None:
    """The request a login page carries, or ``None`` when it is absent, forged or expired."""
    if not token:
        return None
    try:
        data: dict[str, Any] = Signer(secret_key, REQUEST_PURPOSE).unsign(token)
        data["scope"] = tuple(data["scope"])
        data["prompt"] = tuple(data["prompt"])
        return AuthorizationRequest(**data)
    except (BadSignature, KeyError, TypeError):
        return None


def needs_login(request: AuthorizationRequest, session: Session | None, *, now: float | None = None) -> bool:
    """Whether the user must sign in (again) before this request can be answered."""
    if session is None:
        return True
    now = time.time() if now is None else now
    auth_time = session.auth_time.timestamp()
    if auth_time >= request.issued_at:  # signed in for this very request: nothing more to ask
        return False
    if "login" in request.prompt:
        return True
    return request.max_age is not None and now - auth_time > request.max_age


async def issue_code(
    conn: AsyncConnection, request: AuthorizationRequest, session: Session, *, issuer: str, ttl_seconds: int
) -> str:
    """Store a single-use code for the request and return the redirect (with ``code``, ``state``, ``iss``)."""
    code = secrets.token_urlsafe(32)
    now = utcnow()
    await conn.execute(
        authorization_codes.insert().values(
            code_hash=token_digest(code), client_id=request.client_id, session_id=session.id,
            user_id=session.user_id, redirect_uri=request.redirect_uri, scope=format_scope(request.scope),
            nonce=request.nonce, code_challenge=request.code_challenge,
            code_challenge_method=request.code_challenge_method, created_at=now,
            expires_at=now + timedelta(seconds=ttl_seconds),
        )
    )
    params = {"code": code}
    if request.state is not None:
        params["state"] = request.state
    params["iss"] = issuer
    return add_query(request.redirect_uri, params)


def pkce_matches(code_verifier: str, code_challenge: str) -> bool:
    """RFC 7636 4.6: BASE64URL(SHA256(ASCII(code_verifier))) == code_challenge, in constant time."""
    if not CODE_VERIFIER_PATTERN.match(code_verifier):
        return False
    return hmac.compare_digest(create_s256_code_challenge(code_verifier), code_challenge)
