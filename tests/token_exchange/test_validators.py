"""Legacy tokens are checked the way their issuer's type says; every bad token is invalid_grant."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import OctKey

from authshift.config import TokenExchangeIssuerSettings, TokenExchangeSettings
from authshift.migration.token_exchange.errors import ExchangeRefused
from authshift.migration.token_exchange.issuers import IssuerRegistry
from authshift.migration.token_exchange.outbound import IssuerUnavailable
from authshift.migration.token_exchange.request import ACCESS_TOKEN_TYPE, JWT_TOKEN_TYPE
from authshift.migration.token_exchange.validators import fetch_userinfo
from authshift.security.webhook_signatures import generate_secret
from tests.legacy.oidc_idp import JWT_RESOURCE, OPAQUE_RESOURCE, LegacyIdP
from tests.support.legacy_tokens import HookServer, LocalIssuer
from tests.token_exchange.helpers import local_jwt_issuer

pytestmark = pytest.mark.legacy


def jwt_issuer(local: LocalIssuer, **extra: Any) -> dict[str, Any]:
    return local_jwt_issuer(local, name="local", leeway_seconds=5, **extra)


@pytest.fixture
async def registry(local: LocalIssuer) -> AsyncIterator[IssuerRegistry]:
    reg = IssuerRegistry(TokenExchangeSettings(issuers=[jwt_issuer(local, required_claims=["email"])]))
    yield reg
    await reg.aclose()


async def refused(registry: IssuerRegistry, token: str, reason: str, token_type: str = JWT_TOKEN_TYPE) -> ExchangeRefused:
    with pytest.raises(ExchangeRefused) as caught:
        await registry.verify(token, token_type)
    assert caught.value.error == "invalid_grant", caught.value.reason
    assert reason in caught.value.reason
    return caught.value


def b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


async def test_a_good_jwt_yields_its_subject_claims_and_expiry(registry: IssuerRegistry, local: LocalIssuer) -> None:
    token = local.mint("user-1", email="u1@example.com", ttl=300)
    verified = await registry.verify(token, JWT_TOKEN_TYPE)
    assert verified.issuer == "local" and verified.subject == "user-1"
    assert verified.claims["email"] == "u1@example.com"
    assert verified.expires_at is not None and abs(verified.expires_at - (time.time() + 300)) < 5
    assert verified.replay_key.startswith("jti:")
    assert "u1@example.com" not in repr(verified) and token not in repr(verified)


async def test_bad_jwts_are_refused_with_a_reason(registry: IssuerRegistry, local: LocalIssuer) -> None:
    header, payload, signature = local.mint("user-1", email="a@example.com").split(".")
    forged = json.loads(base64.urlsafe_b64decode(payload + "==")) | {"sub": "admin"}
    await refused(registry, f"{header}.{b64(forged)}.{signature}", "bad signature")
    await refused(registry, local.mint("user-1", email="a@example.com", ttl=-60), "expired")
    await refused(registry, local.mint("user-1", email="a@example.com", nbf=int(time.time()) + 60), "nbf")
    await refused(registry, local.mint("user-1", email="a@example.com", iat=int(time.time()) + 60), "iat")
    await refused(registry, local.mint("user-1", email="a@example.com", aud="https://other.example"), "aud")
    await refused(registry, local.mint("user-1", email="a@example.com", aud=None), "aud")
    await refused(registry, local.mint("user-1"), "missing required claims ['email']")
    await refused(registry, local.mint(None, email="a@example.com"), "'sub' is missing")  # type: ignore[arg-type]
    with LocalIssuer(issuer="https://unknown.example") as other:
        await refused(registry, other.mint("user-1", email="a@example.com"), "unknown issuer")
        stranger_key = other.keys[0]
        await refused(registry, local.mint("user-1", email="a@example.com", key=stranger_key), "not in the issuer's JWKS")


async def test_algorithm_tricks_are_refused(registry: IssuerRegistry, local: LocalIssuer) -> None:
    claims = {"iss": local.issuer, "sub": "user-1", "aud": local.audience, "email": "a@example.com",
              "exp": int(time.time()) + 60}
    unsigned = f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims)}."
    await refused(registry, unsigned, "alg 'none' is not in the allow-list")
    # the classic confusion: an HMAC keyed with the issuer's *public* key
    signing_input = f"{b64({'alg': 'HS256', 'kid': local.keys[0].kid})}.{b64(claims)}"
    mac = hmac.new(local.keys[0].as_pem(private=False), signing_input.encode(), hashlib.sha256).digest()
    confused = f"{signing_input}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"
    await refused(registry, confused, "alg 'HS256' is not in the allow-list")


async def test_an_hs256_issuer_checks_with_its_secret(local: LocalIssuer) -> None:
    secret = "a-shared-secret-of-the-legacy-app-0123456789"
    reg = IssuerRegistry(TokenExchangeSettings(issuers=[{
        "name": "homemade", "type": "jwt", "issuer": "https://homemade.example", "audiences": ["app"],
        "algorithms": ["HS256"], "secret": secret,
    }]))
    claims = {"iss": "https://homemade.example", "sub": "42", "aud": "app"}
    good = jwt.encode({"alg": "HS256"}, claims, OctKey.import_key(secret), algorithms=["HS256"])
    verified = await reg.verify(good, ACCESS_TOKEN_TYPE)
    assert verified.subject == "42" and verified.expires_at is None and verified.replay_key.startswith("sha256:")
    wrong = jwt.encode({"alg": "HS256"}, claims, OctKey.import_key("another-secret-0123456789abcdef"), algorithms=["HS256"])
    await refused(reg, wrong, "bad signature")


async def test_a_disabled_issuer_is_refused_not_skipped(local: LocalIssuer) -> None:
    reg = IssuerRegistry(TokenExchangeSettings(issuers=[jwt_issuer(local, enabled=False)]))
    await refused(reg, local.mint("user-1"), "disabled")
    assert local.jwks_fetches == 0


async def test_opaque_tokens_are_introspected_at_the_legacy_idp(legacy_idp: LegacyIdP) -> None:
    reg = IssuerRegistry(TokenExchangeSettings(issuers=[{
        "name": "legacy-opaque", "type": "introspection", "introspection_endpoint": legacy_idp.introspection_endpoint,
        "client_id": legacy_idp.introspection_client_id, "client_secret": legacy_idp.introspection_client_secret,
        "issuer": legacy_idp.issuer, "audiences": [OPAQUE_RESOURCE],
    }]))
    try:
        token = legacy_idp.sign_in("bob@legacy.example", "bob-password", resource=OPAQUE_RESOURCE)["access_token"]
        verified = await reg.verify(token, ACCESS_TOKEN_TYPE)
        assert verified.subject == "legacy-user-bob" and verified.claims["email"] == "bob@legacy.example"
        assert verified.expires_at is not None and verified.expires_at > time.time()
        legacy_idp.revoke(token)
        await refused(reg, token, "active=false", ACCESS_TOKEN_TYPE)
        await refused(reg, "not-a-token-the-idp-issued", "active=false", ACCESS_TOKEN_TYPE)
        # a JWT of the same IdP is routed by its iss claim, to this issuer; the audience decides
        jwt_token = legacy_idp.sign_in("bob@legacy.example", "bob-password", resource=JWT_RESOURCE)["access_token"]
        with pytest.raises(ExchangeRefused):
            await reg.verify(jwt_token, ACCESS_TOKEN_TYPE)
    finally:
        await reg.aclose()


async def test_wrong_introspection_credentials_are_an_outage_not_a_bad_token(legacy_idp: LegacyIdP) -> None:
    reg = IssuerRegistry(TokenExchangeSettings(issuers=[{
        "name": "legacy-opaque", "type": "introspection", "introspection_endpoint": legacy_idp.introspection_endpoint,
        "client_id": legacy_idp.introspection_client_id, "client_secret": "wrong",
    }]))
    try:
        with pytest.raises(IssuerUnavailable, match="cannot be reached") as caught:
            await reg.verify("whatever", ACCESS_TOKEN_TYPE)
        assert "401" in caught.value.reason and caught.value.status == 503
    finally:
        await reg.aclose()


async def test_a_hook_answers_a_user_record_for_the_token() -> None:
    secret = generate_secret()
    sessions = {"sess-ok": {"external_id": "u-77", "email": "hook@example.com", "email_verified": True}}

    def decide(token: str, token_type: str) -> tuple[int, Any]:
        return (200, sessions[token]) if token in sessions and token_type == "urn:example:session" else (401, None)

    with HookServer(secret, decide) as hook:
        reg = IssuerRegistry(TokenExchangeSettings(issuers=[{
            "name": "app-sessions", "type": "hook", "url": f"{hook.url}/hook", "secret": secret,
            "token_types": ["urn:example:session"],
        }]))
        try:
            verified = await reg.verify("sess-ok", "urn:example:session")
            assert verified.subject == "u-77" and verified.record and verified.record["email"] == "hook@example.com"
            await refused(reg, "sess-unknown", "hook answered 401", "urn:example:session")
            assert hook.bad_signatures == 0
        finally:
            await reg.aclose()
        wrong = IssuerRegistry(TokenExchangeSettings(issuers=[{
            "name": "app-sessions", "type": "hook", "url": f"{hook.url}/hook", "secret": generate_secret(),
            "token_types": ["urn:example:session"],
        }]))
        try:
            await refused(wrong, "sess-ok", "hook answered 401", "urn:example:session")
            assert hook.bad_signatures == 1
        finally:
            await wrong.aclose()


async def test_userinfo_claims_come_from_the_legacy_idp(legacy_idp: LegacyIdP) -> None:
    cfg = TokenExchangeIssuerSettings(
        name="legacy", type="introspection", introspection_endpoint=legacy_idp.introspection_endpoint,
        client_id="x", client_secret="y", userinfo_endpoint=legacy_idp.userinfo_endpoint,
    )
    token = legacy_idp.sign_in("carol@legacy.example", "carol-password", resource=None)["access_token"]
    async with httpx.AsyncClient() as http:
        claims = await fetch_userinfo(http, cfg, token, "legacy-user-carol")
        assert claims["family_name"] == "Danvers" and claims["email_verified"] is False
        with pytest.raises(ExchangeRefused, match="another user"):
            await fetch_userinfo(http, cfg, token, "legacy-user-alice")
        with pytest.raises(ExchangeRefused, match="refused the token"):
            await fetch_userinfo(http, cfg, "not-a-token", "legacy-user-carol")
