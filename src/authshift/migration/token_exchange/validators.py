"""The three ways a legacy token is checked, one per issuer ``type``.

- ``jwt``: the signature (algorithm from the issuer's allow-list, key from its JWKS or secret),
  then ``iss``, ``aud``, ``exp``/``nbf``/``iat`` with leeway and the required claims;
- ``introspection``: RFC 7662 with HTTP Basic client authentication; ``active`` must be true,
  then the claims the answer carries are checked as for a JWT;
- ``hook``: the token is POSTed, signed with Standard Webhooks, to the customer's URL, which
  answers 200 with a user record (authshift's import format) or 401.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import httpx
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import OctKey

from authshift.config import SYMMETRIC_JWS_ALGORITHMS, TokenExchangeIssuerSettings
from authshift.migration.token_exchange.claims import ClaimRules, check_claims, claim_string
from authshift.migration.token_exchange.errors import invalid_grant
from authshift.migration.token_exchange.jwks import JwksCache
from authshift.migration.token_exchange.outbound import IssuerUnavailable, request_json
from authshift.migration.token_exchange.request import ACCESS_TOKEN_TYPE
from authshift.migration.token_exchange.verified import VerifiedToken, replay_key
from authshift.records import RecordError, parse_record, record_to_json
from authshift.security.webhook_signatures import signed_headers

ClientFactory = Callable[[], httpx.AsyncClient]


def _rules(cfg: TokenExchangeIssuerSettings) -> ClaimRules:
    return ClaimRules(cfg.issuer, tuple(cfg.audiences), cfg.leeway_seconds, tuple(cfg.required_claims))


def _subject(cfg: TokenExchangeIssuerSettings, claims: dict[str, Any]) -> str:
    subject = claim_string(claims, cfg.subject_claim)
    if subject is None:
        raise invalid_grant("the subject token names no subject", f"claim {cfg.subject_claim!r} is missing or empty")
    return subject


def _verified(cfg: TokenExchangeIssuerSettings, claims: dict[str, Any], token: str, exp: float | None) -> VerifiedToken:
    jti = claims.get("jti") if isinstance(claims.get("jti"), str) else None
    return VerifiedToken(cfg.name, _subject(cfg, claims), claims, replay_key(jti, token), exp)


class _Validator:
    def __init__(self, cfg: TokenExchangeIssuerSettings, client: ClientFactory) -> None:
        self.cfg = cfg
        self._client = client


def parse_jws(token: str) -> jws.CompactSignature | None:
    """The token as a JWS (not verified), or None when it is not one (an opaque token)."""
    if token.count(".") != 2:
        return None
    try:
        return jws.extract_compact(token.encode())
    except (JoseError, ValueError, TypeError):
        return None


def unverified_claims(obj: jws.CompactSignature) -> dict[str, Any] | None:
    try:
        claims = json.loads(obj.payload)
    except (ValueError, TypeError):
        return None
    return claims if isinstance(claims, dict) else None


class JwtValidator(_Validator):
    def __init__(self, cfg: TokenExchangeIssuerSettings, client: ClientFactory) -> None:
        super().__init__(cfg, client)
        self.jwks: JwksCache | None = None
        self._secret: OctKey | None = None
        if set(cfg.algorithms) <= SYMMETRIC_JWS_ALGORITHMS:
            assert cfg.secret is not None  # the settings refuse HS* without a secret
            self._secret = OctKey.import_key(cfg.secret.get_secret_value())
        else:
            assert cfg.jwks_uri is not None
            self.jwks = JwksCache(
                cfg.jwks_uri, client, min_refresh_seconds=cfg.jwks_min_refresh_seconds,
                max_age_seconds=cfg.jwks_max_age_seconds, timeout_seconds=cfg.timeout_seconds,
            )

    async def verify(self, token: str, token_type: str, obj: jws.CompactSignature | None) -> VerifiedToken:
        if obj is None:
            raise invalid_grant("the subject token is not a JWT", "not a JWS compact serialization")
        header = obj.headers()
        alg = header.get("alg")
        if not isinstance(alg, str) or alg not in self.cfg.algorithms:
            raise invalid_grant("the subject token's algorithm is not accepted", f"alg {alg!r} is not in the allow-list")
        kid = header.get("kid")
        key = self._secret if self._secret is not None else await self._jwks_key(kid, alg)
        try:
            valid = jws.validate_compact(obj, key, algorithms=[alg])
        except JoseError as exc:
            raise invalid_grant("the subject token's signature is not valid", f"{type(exc).__name__}") from None
        if not valid:
            raise invalid_grant("the subject token's signature is not valid", f"bad signature (kid {kid!r})")
        claims = unverified_claims(obj)  # verified now
        if claims is None:
            raise invalid_grant("the subject token is malformed", "the payload is not a JSON object")
        exp = check_claims(claims, _rules(self.cfg), now=time.time(), iss_and_aud_required=True)
        return _verified(self.cfg, claims, token, exp)

    async def _jwks_key(self, kid: Any, alg: str) -> Any:
        assert self.jwks is not None
        if kid is not None and not isinstance(kid, str):
            raise invalid_grant("the subject token is malformed", "kid is not a string")
        return await self.jwks.key_for(kid, alg)


class IntrospectionValidator(_Validator):
    async def verify(self, token: str, token_type: str, obj: jws.CompactSignature | None) -> VerifiedToken:
        cfg = self.cfg
        assert cfg.introspection_endpoint and cfg.client_id and cfg.client_secret
        form = {"token": token}
        if token_type == ACCESS_TOKEN_TYPE:
            form["token_type_hint"] = "access_token"
        _, answer = await request_json(
            self._client(), "POST", cfg.introspection_endpoint, what="introspection_endpoint",
            timeout=cfg.timeout_seconds, data=form, auth=(cfg.client_id, cfg.client_secret.get_secret_value()),
            headers={"Accept": "application/json"},
        )
        if not isinstance(answer, dict):
            raise IssuerUnavailable("introspection_endpoint: the answer is not a JSON object")
        if answer.get("active") is not True:
            raise invalid_grant("the subject token is not active", "introspection answered active=false")
        exp = check_claims(answer, _rules(cfg), now=time.time(), iss_and_aud_required=False)
        return _verified(cfg, answer, token, exp)


class HookValidator(_Validator):
    async def verify(self, token: str, token_type: str, obj: jws.CompactSignature | None) -> VerifiedToken:
        cfg = self.cfg
        assert cfg.url and cfg.secret
        body = json.dumps({"token": token, "token_type": token_type}).encode()
        headers = {**signed_headers(cfg.secret.get_secret_value(), body), "Content-Type": "application/json"}
        status, answer = await request_json(
            self._client(), "POST", cfg.url, what="hook url", timeout=cfg.timeout_seconds, accept=(200, 401),
            content=body, headers=headers,
        )
        if status == 401:
            raise invalid_grant("the subject token was refused by its issuer", "the hook answered 401")
        try:
            record = record_to_json(parse_record(answer).record)
        except RecordError as exc:
            paths = sorted({issue.path for issue in exc.issues})
            raise IssuerUnavailable(f"hook url: the answer is not a valid user record ({', '.join(paths)})") from None
        external_id = record.get("external_id")
        if not external_id:
            raise IssuerUnavailable("hook url: the user record has no external_id")
        return VerifiedToken(
            cfg.name, str(external_id), record, replay_key(None, token), None, record=record,
        )


Validator = JwtValidator | IntrospectionValidator | HookValidator


def build_validator(cfg: TokenExchangeIssuerSettings, client: ClientFactory) -> Validator:
    kinds: dict[str, type[Validator]] = {
        "jwt": JwtValidator, "introspection": IntrospectionValidator, "hook": HookValidator,
    }
    return kinds[cfg.type](cfg, client)


async def fetch_userinfo(client: httpx.AsyncClient, cfg: TokenExchangeIssuerSettings, token: str, subject: str) -> dict[str, Any]:
    """The legacy ``userinfo_endpoint``'s claims for a token (to create the user from them).

    OpenID Connect Core 5.3.2: the ``sub`` it answers must be the token's subject.
    """
    assert cfg.userinfo_endpoint is not None
    status, claims = await request_json(
        client, "GET", cfg.userinfo_endpoint, what="userinfo_endpoint", timeout=cfg.timeout_seconds,
        accept=(200, 401, 403), headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
    )
    if status != 200:
        raise invalid_grant("the legacy issuer refused the token at its userinfo endpoint", f"userinfo answered {status}")
    if not isinstance(claims, dict):
        raise IssuerUnavailable("userinfo_endpoint: the answer is not a JSON object")
    if cfg.subject_claim == "sub" and claims.get("sub") not in (None, subject):
        raise invalid_grant("the legacy issuer's userinfo is about another user", "userinfo sub differs from the token's")
    return claims
