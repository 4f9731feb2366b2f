"""Issuers whose users come from elsewhere than the token: the customer's hook, the IdP's userinfo."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from authshift.oidc.clients import ClientSpec, create_client
from authshift.security.webhook_signatures import generate_secret
from tests.legacy.oidc_idp import LegacyIdP, ensure_node_modules
from tests.support.legacy_tokens import HookServer
from tests.token_exchange.helpers import App, exchange_config, oauth_error

SESSION_TYPE = "urn:example:legacy-session"
HOOK_SECRET = generate_secret()
LEGACY_SESSIONS: dict[str, dict[str, Any]] = {
    "sess-ann": {"external_id": "app-user-7", "email": "ann@example.com", "email_verified": True,
                 "given_name": "Ann", "roles": ["editor"], "custom_attributes": {"plan": "pro"}},
    "sess-gone": {"external_id": "app-user-8", "email": "gone@example.com", "disabled": True},
}


@pytest.fixture
def hook() -> Iterator[HookServer]:
    def decide(token: str, token_type: str) -> tuple[int, Any]:
        return (200, LEGACY_SESSIONS[token]) if token in LEGACY_SESSIONS else (401, None)

    with HookServer(HOOK_SECRET, decide) as server:
        yield server


@pytest.fixture
def claimless_idp(tmp_path: Path) -> Iterator[LegacyIdP]:
    """A legacy IdP whose access tokens carry no profile claims: only its userinfo knows them."""
    ensure_node_modules()
    with LegacyIdP(tmp_path / "idp", access_token_claims=()) as idp:
        yield idp


@pytest.fixture
def exchange_toml(request: pytest.FixtureRequest, hook: HookServer) -> str:
    issuers: list[dict[str, Any]] = [{
        "name": "app-sessions", "type": "hook", "url": f"{hook.url}/token-hook", "secret": HOOK_SECRET,
        "token_types": [SESSION_TYPE], "on_unknown_user": "create",
    }]
    if "claimless_idp" in request.fixturenames:
        idp: LegacyIdP = request.getfixturevalue("claimless_idp")
        issuers.append({
            "name": "legacy-opaque", "type": "introspection", "introspection_endpoint": idp.introspection_endpoint,
            "client_id": idp.introspection_client_id, "client_secret": idp.introspection_client_secret,
            "userinfo_endpoint": idp.userinfo_endpoint, "on_unknown_user": "create",
        })
    return exchange_config(issuers)


@pytest.fixture
async def tx(app: Any, client: httpx.AsyncClient, admin_headers: dict[str, str]) -> App:
    async with app.state.authshift.engine.begin() as conn:
        registered, secret = await create_client(conn, ClientSpec(name="App", grant_types=["token-exchange"]))
    return App(client, registered.client_id, str(secret), admin_headers)


async def test_the_hook_vouches_for_the_apps_own_session_tokens(tx: App, hook: HookServer) -> None:
    response = await tx.exchange("sess-ann", SESSION_TYPE, scope="openid email profile")
    assert response.status_code == 200, response.text
    assert "refresh_token" not in response.json()  # this client may not use refresh_token
    ann = await tx.user_by_external_id("app-user-7")
    assert ann["source"] == "app-sessions" and ann["roles"] == ["editor"] and ann["custom_attributes"] == {"plan": "pro"}
    assert (await tx.verified_claims(response.json()["id_token"]))["email"] == "ann@example.com"
    assert "already been exchanged" in oauth_error(await tx.exchange("sess-ann", SESSION_TYPE), "invalid_grant")
    assert "disabled" in oauth_error(await tx.exchange("sess-gone", SESSION_TYPE), "invalid_grant")
    assert "refused by its issuer" in oauth_error(await tx.exchange("sess-forged", SESSION_TYPE), "invalid_grant")
    assert hook.bad_signatures == 0 and len(hook.requests) == 4


async def test_a_user_created_on_the_spot_gets_the_legacy_userinfo(tx: App, claimless_idp: LegacyIdP) -> None:
    token = claimless_idp.sign_in("carol@legacy.example", "carol-password", resource=None)["access_token"]
    assert "email" not in claimless_idp.introspect(token)
    response = await tx.exchange(token, scope="openid")
    assert response.status_code == 200, response.text
    carol = await tx.user_by_external_id("legacy-user-carol")
    assert carol["email"] == "carol@legacy.example" and carol["email_verified"] is False
    assert carol["family_name"] == "Danvers" and carol["phone_number"] == "+14155550103"
