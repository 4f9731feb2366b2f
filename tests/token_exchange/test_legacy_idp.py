"""Zero-downtime migration end to end: a user signed in at the real legacy IdP (oidc-provider) gets
authshift tokens from a real ``authshift serve`` by token exchange, without signing in again.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.legacy.oidc_idp import JWT_RESOURCE, OPAQUE_RESOURCE, OTHER_JWT_RESOURCE, LegacyIdP
from tests.support.legacy_tokens import LocalIssuer
from tests.support.servers import LiveServer
from tests.token_exchange.helpers import App, cli_json, exchange_config, oauth_error, refusals

pytestmark = [pytest.mark.legacy, pytest.mark.slow]


def jwt_issuer(idp: LegacyIdP, **extra: Any) -> dict[str, Any]:
    return {"name": "legacy-jwt", "type": "jwt", "issuer": idp.issuer, "jwks_uri": idp.jwks_uri,
            "audiences": [JWT_RESOURCE], "leeway_seconds": 0, "on_unknown_user": "create", **extra}


def introspection_issuer(idp: LegacyIdP) -> dict[str, Any]:
    return {"name": "legacy-opaque", "type": "introspection", "introspection_endpoint": idp.introspection_endpoint,
            "client_id": idp.introspection_client_id, "client_secret": idp.introspection_client_secret,
            "audiences": [OPAQUE_RESOURCE], "on_unknown_user": "create"}


@pytest.fixture
def retired() -> Iterator[LocalIssuer]:
    """A legacy issuer the operator has switched off (enabled = false)."""
    with LocalIssuer(issuer="https://retired-idp.example") as issuer:
        yield issuer


@pytest.fixture
def exchange_toml(legacy_idp: LegacyIdP, retired: LocalIssuer) -> str:
    return exchange_config([
        jwt_issuer(legacy_idp),
        introspection_issuer(legacy_idp),
        {"name": "retired", "type": "jwt", "enabled": False, "issuer": retired.issuer, "jwks_uri": retired.jwks_uri,
         "audiences": [retired.audience]},
    ])


def tampered(token: str, **claims: Any) -> str:
    header, payload, signature = token.split(".")
    body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))) | claims
    forged = base64.urlsafe_b64encode(json.dumps(body).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


async def test_jwt_path_imported_and_new_users_and_every_bad_token(
    live_app: App, live_server: LiveServer, legacy_idp: LegacyIdP, retired: LocalIssuer, settings_env: dict[str, str],
) -> None:
    app = live_app
    # alice was imported before the switch; bob was not; carol was imported and has since been disabled
    alice = await app.create_user({"email": "alice@legacy.example", "external_id": "legacy-user-alice",
                                   "migration_state": "imported", "given_name": "Alice"})
    carol = await app.create_user({"email": "carol@legacy.example", "external_id": "legacy-user-carol",
                                   "migration_state": "imported"})
    assert (await app.http.post(f"/api/admin/v1/users/{carol['id']}/disable", headers=app.admin)).status_code == 200

    legacy = legacy_idp.sign_in("alice@legacy.example", "alice-password", resource=JWT_RESOURCE)
    exchanged = await app.exchange(legacy["access_token"])
    assert exchanged.status_code == 200, exchanged.text
    tokens = exchanged.json()
    assert tokens["issued_token_type"] == "urn:ietf:params:oauth:token-type:access_token"
    assert tokens["token_type"] == "Bearer" and tokens["refresh_token"]
    assert (await app.verified_claims(tokens["access_token"]))["sub"] == alice["id"]
    id_token = await app.verified_claims(tokens["id_token"])
    assert id_token["sub"] == alice["id"] and id_token["email"] == "alice@legacy.example"
    assert (await app.user(alice["id"]))["migration_state"] == "migrated"
    refreshed = await app.refresh(tokens["refresh_token"])
    assert refreshed.status_code == 200, refreshed.text
    assert (await app.verified_claims(refreshed.json()["access_token"]))["sub"] == alice["id"]
    assert "already been exchanged" in oauth_error(await app.exchange(legacy["access_token"]), "invalid_grant")

    bob_legacy = legacy_idp.sign_in("bob@legacy.example", "bob-password", resource=JWT_RESOURCE)
    bob_tokens = await app.exchange(bob_legacy["access_token"])
    assert bob_tokens.status_code == 200, bob_tokens.text
    bob = await app.user_by_external_id("legacy-user-bob")
    assert bob["source"] == "legacy-jwt" and bob["migration_state"] == "migrated"
    assert bob["email"] == "bob@legacy.example" and bob["email_verified"] is True and bob["family_name"] == "Builder"
    assert (await app.verified_claims(bob_tokens.json()["access_token"]))["sub"] == bob["id"]

    fresh = legacy_idp.sign_in("alice@legacy.example", "alice-password", resource=JWT_RESOURCE)["access_token"]
    short = legacy_idp.sign_in("alice@legacy.example", "alice-password", resource=JWT_RESOURCE, short_lived=True)
    other_audience = legacy_idp.sign_in("alice@legacy.example", "alice-password", resource=OTHER_JWT_RESOURCE)
    carol_legacy = legacy_idp.sign_in("carol@legacy.example", "carol-password", resource=JWT_RESOURCE)
    with LocalIssuer(issuer="https://stranger-idp.example") as stranger:
        unknown_issuer = stranger.mint("legacy-user-alice", aud=JWT_RESOURCE)
    time.sleep(max(0.0, legacy_idp.short_access_token_ttl + 1.1))  # the short-lived token has expired (leeway 0)

    bad = {
        "tampered": (tampered(fresh, sub="legacy-user-bob"), "bad signature"),
        "expired": (short["access_token"], "expired"),
        "wrong audience": (other_audience["access_token"], "aud matches no configured audience"),
        "unknown issuer": (unknown_issuer, "unknown issuer"),
        "disabled issuer": (retired.mint("someone"), "issuer retired is disabled"),
        "disabled user": (carol_legacy["access_token"], f"user {carol['id']} is disabled"),
    }
    for case, (token, _reason) in bad.items():
        response = await app.exchange(token)
        assert response.status_code == 400, (case, response.text)
        assert response.json()["error"] == "invalid_grant", case

    web = cli_json(["clients", "create", "--name", "Web", "--redirect-uri", "https://app.example/cb"], settings_env)
    not_allowed = await app.exchange(fresh, as_client=(web["client_id"], web["client_secret"]))
    oauth_error(not_allowed, "unauthorized_client")
    assert (await app.exchange(fresh)).status_code == 200  # refusals did not use the good token up

    logged = refusals(live_server)
    for case, (_token, reason) in bad.items():
        assert any(reason in entry["reason"] for entry in logged), (case, logged)
    assert all(entry.get("token_sha256") for entry in logged)
    log_text = live_server.log()
    for token, _ in bad.values():
        assert token.split(".")[2] not in log_text  # never the token itself
    assert legacy["access_token"].split(".")[2] not in log_text


async def test_introspection_path_for_opaque_tokens(live_app: App, legacy_idp: LegacyIdP) -> None:
    app = live_app
    bob = await app.create_user({"email": "bob@legacy.example", "external_id": "legacy-user-bob",
                                 "migration_state": "imported"})
    opaque = legacy_idp.sign_in("bob@legacy.example", "bob-password", resource=OPAQUE_RESOURCE)["access_token"]
    assert opaque.count(".") != 2  # opaque: only the legacy IdP can say what it is
    exchanged = await app.exchange(opaque)
    assert exchanged.status_code == 200, exchanged.text
    assert (await app.verified_claims(exchanged.json()["access_token"]))["sub"] == bob["id"]
    assert (await app.user(bob["id"]))["migration_state"] == "migrated"
    assert "already been exchanged" in oauth_error(await app.exchange(opaque), "invalid_grant")

    alice_opaque = legacy_idp.sign_in("alice@legacy.example", "alice-password", resource=OPAQUE_RESOURCE)["access_token"]
    created = await app.exchange(alice_opaque)
    assert created.status_code == 200, created.text
    alice = await app.user_by_external_id("legacy-user-alice")
    assert alice["source"] == "legacy-opaque" and alice["given_name"] == "Alice"
    assert (await app.verified_claims(created.json()["id_token"]))["sub"] == alice["id"]

    revoked = legacy_idp.sign_in("alice@legacy.example", "alice-password", resource=OPAQUE_RESOURCE)["access_token"]
    legacy_idp.revoke(revoked)  # the user signed out at the legacy app
    oauth_error(await app.exchange(revoked), "invalid_grant")
