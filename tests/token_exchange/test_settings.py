"""Issuer settings refuse what would make token exchange unsafe or ambiguous, when they load."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from authshift.config import TokenExchangeIssuerSettings, TokenExchangeSettings

JWT: dict[str, Any] = {
    "name": "legacy", "type": "jwt", "issuer": "https://idp.example", "jwks_uri": "https://idp.example/jwks",
    "audiences": ["https://api.example"],
}
INTROSPECTION: dict[str, Any] = {
    "name": "opaque", "type": "introspection", "introspection_endpoint": "https://idp.example/introspect",
    "client_id": "authshift", "client_secret": "s3cret",
}
HOOK: dict[str, Any] = {"name": "hook", "type": "hook", "url": "https://app.example/hook", "secret": "whsec_c2VjcmV0"}


def refused(message: str, **values: Any) -> None:
    with pytest.raises(ValidationError, match=message):
        TokenExchangeIssuerSettings(**values)


def test_a_complete_issuer_of_each_type_loads() -> None:
    for values in (JWT, INTROSPECTION, HOOK):
        assert TokenExchangeIssuerSettings(**values).enabled


@pytest.mark.parametrize("alg", ["none", "None", "NONE"])
def test_the_none_algorithm_is_never_accepted(alg: str) -> None:
    refused("'none' algorithm is never accepted", **{**JWT, "algorithms": ["RS256", alg]})


def test_symmetric_algorithms_need_a_secret_and_cannot_mix_with_public_keys() -> None:
    refused("HS\\* algorithms need a configured secret", **{**JWT, "jwks_uri": None, "algorithms": ["HS256"]})
    refused("mixes HS\\* and public-key", **{**JWT, "algorithms": ["RS256", "HS256"], "secret": "k" * 32})
    refused("secret is only used with HS", **{**JWT, "secret": "k" * 32})
    refused("need jwks_uri", **{**JWT, "jwks_uri": None})
    refused("unknown JWS algorithm", **{**JWT, "algorithms": ["RS1"]})
    assert TokenExchangeIssuerSettings(**{**JWT, "jwks_uri": None, "algorithms": ["HS256"], "secret": "k" * 32})


@pytest.mark.parametrize(
    ("values", "missing"),
    [
        ({**JWT, "audiences": []}, "audiences"),
        ({**JWT, "issuer": None}, "issuer"),
        ({**INTROSPECTION, "client_secret": None}, "client_secret"),
        ({**HOOK, "url": None}, "url"),
    ],
)
def test_each_type_names_what_it_lacks(values: dict[str, Any], missing: str) -> None:
    refused(f"needs {missing}", **values)


def test_outbound_urls_must_be_https_except_to_loopback() -> None:
    refused("must use https", **{**JWT, "jwks_uri": "http://idp.example/jwks"})
    refused("absolute https", **{**JWT, "jwks_uri": "/jwks"})
    refused("credentials", **{**INTROSPECTION, "introspection_endpoint": "https://u:p@idp.example/i"})
    assert TokenExchangeIssuerSettings(**{**JWT, "jwks_uri": "http://127.0.0.1:9/jwks"})
    assert TokenExchangeIssuerSettings(**{**JWT, "jwks_uri": "http://idp.internal/jwks", "allow_insecure_http": True})


def test_hook_secret_is_a_standard_webhooks_secret() -> None:
    refused("whsec_", **{**HOOK, "secret": "plain"})


def test_claim_mapping_names_only_record_fields() -> None:
    refused("not password", **{**JWT, "claims": {"password": "pw"}})
    cfg = TokenExchangeIssuerSettings(**{**JWT, "claims": {"given_name": "first_name"}})
    assert cfg.claim_mapping["given_name"] == "first_name" and cfg.claim_mapping["family_name"] == "family_name"


def test_issuers_must_be_routable_to_exactly_one() -> None:
    with pytest.raises(ValidationError, match="names must be unique"):
        TokenExchangeSettings(issuers=[JWT, {**JWT, "issuer": "https://other.example"}])
    with pytest.raises(ValidationError, match="same issuer URL"):
        TokenExchangeSettings(issuers=[JWT, {**JWT, "name": "again"}])
    with pytest.raises(ValidationError, match="several introspection/hook issuers"):
        TokenExchangeSettings(issuers=[INTROSPECTION, HOOK])
    with pytest.raises(ValidationError, match="declared by two"):
        TokenExchangeSettings(issuers=[{**INTROSPECTION, "token_types": ["urn:x"]}, {**HOOK, "token_types": ["urn:x"]}])
    assert TokenExchangeSettings(issuers=[JWT, INTROSPECTION, {**HOOK, "token_types": ["urn:example:session"]}])
