"""The token-exchange grant at authshift's token endpoint (in process, both backends).

Legacy JWTs come from a local RSA issuer with a real JWKS server; the real legacy IdP is used by
test_legacy_idp.py against a real ``authshift serve``.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from authshift.audit import audit_log  # type: ignore[attr-defined]
from authshift.events.outbox import events
from authshift.migration.token_exchange.request import ID_TOKEN_TYPE, JWT_TOKEN_TYPE
from authshift.oidc.clients import ClientSpec, create_client
from tests.support.legacy_tokens import LocalIssuer
from tests.token_exchange.helpers import ALL_SCOPES, App, exchange_config, local_jwt_issuer, oauth_error


@pytest.fixture
def exchange_toml(local: LocalIssuer) -> str:
    return exchange_config([local_jwt_issuer(local, on_unknown_user="create", leeway_seconds=0)],
                           subject_max_exchanges=3, admin_sessions_enabled=True)


@pytest.fixture
async def tx(app: Any, client: httpx.AsyncClient, admin_headers: dict[str, str]) -> App:
    async with app.state.authshift.engine.begin() as conn:
        registered, secret = await create_client(conn, ClientSpec(
            name="Mobile app", grant_types=["token-exchange", "refresh_token"],
        ))
    assert secret is not None
    return App(client, registered.client_id, secret, admin_headers)


async def test_an_imported_user_gets_authshift_tokens_for_a_legacy_jwt(tx: App, local: LocalIssuer, app: Any) -> None:
    alice = await tx.create_user({"email": "alice@example.com", "external_id": "a-1", "migration_state": "imported",
                                  "given_name": "Alice"})
    response = await tx.exchange(local.mint("a-1", email="alice@example.com"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["issued_token_type"] == "urn:ietf:params:oauth:token-type:access_token"
    assert body["token_type"] == "Bearer" and body["expires_in"] > 0 and body["scope"] == ALL_SCOPES
    assert body["refresh_token"] and body["id_token"]
    assert (await tx.verified_claims(body["access_token"]))["sub"] == alice["id"]
    id_claims = await tx.verified_claims(body["id_token"])
    assert id_claims["sub"] == alice["id"] and id_claims["given_name"] == "Alice"
    assert (await tx.user(alice["id"]))["migration_state"] == "migrated"
    refreshed = await tx.refresh(body["refresh_token"])
    assert refreshed.status_code == 200 and (await tx.verified_claims(refreshed.json()["access_token"]))["sub"] == alice["id"]
    # a second legacy token of the same user: new tokens, but user.migrated only once
    again = await tx.exchange(local.mint("a-1"), scope="openid")
    assert again.status_code == 200 and "refresh_token" in again.json()
    async with app.state.authshift.engine.connect() as conn:
        kinds = list((await conn.execute(sa.select(events.c.type).where(events.c.subject == alice["id"]))).scalars())
        audited = list((await conn.execute(sa.select(audit_log.c.action, audit_log.c.details)
                                           .where(audit_log.c.target == alice["id"]))).all())
    assert kinds.count("user.migrated") == 1
    assert [a for a, _ in audited].count("token_exchange.exchanged") == 2
    assert all("subject_token" not in str(d) for _, d in audited)


_FEDERATED = {"identities": [{"provider": "google", "subject": "g-1", "email": "carol@gmail.com"},
                             {"provider": "github", "subject": "7"}]}
_OTP = {"mfa": {"email": "carol@example.com", "phone_number": "+447700900124"}}


@pytest.mark.parametrize("rest", [{**_FEDERATED, **_OTP}, _FEDERATED, _OTP, {}],
                         ids=["federated+otp", "federated", "otp", "neither"])
async def test_user_migrated_carries_the_record_as_the_admin_api_gives_it(
    tx: App, local: LocalIssuer, app: Any, rest: dict[str, Any]
) -> None:
    """The exchange builds the event's record from the rows it read, not with get_user: same record
    (whether or not the user has the federated identities and OTP factors read apart)."""
    carol = await tx.create_user({
        "email": "carol@example.com", "email_verified": True, "phone_number": "+447700900123",
        "preferred_username": "carol", "external_id": "c-1", "migration_state": "imported", "name": "Carol C",
        **rest,
        "custom_attributes": {"plan": "pro"}, "roles": ["admin"], "groups": ["/staff"],
        "created_at": "2022-01-15T17:45:00Z", "password": "$2b$04$" + "a" * 53,
    })
    assert (await tx.exchange(local.mint("c-1"))).status_code == 200
    async with app.state.authshift.engine.connect() as conn:
        migrated = (await conn.execute(sa.select(events.c.data).where(events.c.subject == carol["id"], events.c.type == "user.migrated"))).scalar_one()
    assert migrated["via"] == "token_exchange" and migrated["issuer"] == "legacy"
    assert migrated["user"] == await tx.user(carol["id"])
    assert migrated["user"]["migration_state"] == "migrated" and migrated["user"]["last_login_at"]


async def test_concurrent_first_exchanges_of_one_user_migrate_them_once(tx: App, local: LocalIssuer, app: Any) -> None:
    erin = await tx.create_user({"email": "erin@example.com", "external_id": "e-1", "migration_state": "imported"})
    results = await asyncio.gather(*(tx.exchange(local.mint("e-1")) for _ in range(3)))
    assert [r.status_code for r in results] == [200, 200, 200]
    async with app.state.authshift.engine.connect() as conn:
        kinds = list((await conn.execute(sa.select(events.c.type).where(events.c.subject == erin["id"]))).scalars())
    assert kinds.count("user.migrated") == 1


async def test_a_replayed_token_is_refused_even_when_sent_concurrently(tx: App, local: LocalIssuer) -> None:
    await tx.create_user({"email": "bob@example.com", "external_id": "b-1"})
    token = local.mint("b-1")
    results = await asyncio.gather(*(tx.exchange(token) for _ in range(3)))  # the subject's throttle allows 3
    assert sorted(r.status_code for r in results) == [200, 400, 400]
    for refused in (r for r in results if r.status_code == 400):
        assert "already been exchanged" in oauth_error(refused, "invalid_grant")


async def test_an_unknown_user_is_created_from_the_token(tx: App, local: LocalIssuer) -> None:
    response = await tx.exchange(local.mint("new-1", email="new@example.com", email_verified=True, name="New One"),
                                 JWT_TOKEN_TYPE)
    assert response.status_code == 200, response.text
    user = await tx.user_by_external_id("new-1")
    assert user["source"] == "legacy" and user["migration_state"] == "migrated" and user["name"] == "New One"
    assert (await tx.verified_claims(response.json()["access_token"]))["sub"] == user["id"]


@pytest.mark.parametrize(
    ("form", "error", "message"),
    [
        ({"subject_token_type": ""}, "invalid_request", "subject_token_type is required"),
        ({"subject_token_type": "urn:example:unknown"}, "invalid_request", "not a token type"),
        ({"requested_token_type": "urn:ietf:params:oauth:token-type:refresh_token"}, "invalid_request", "requested_token_type"),
        ({"actor_token": "x", "actor_token_type": JWT_TOKEN_TYPE}, "invalid_request", "delegation"),
        ({"scope": "openid admin"}, "invalid_scope", "admin"),
        ({"audience": "https://another-api.example"}, "invalid_target", "audience"),
        ({"resource": "https://another-api.example"}, "invalid_target", "resource"),
    ],
)
async def test_bad_requests_are_refused_with_the_rfc_error(
    tx: App, local: LocalIssuer, form: dict[str, str], error: str, message: str
) -> None:
    form = {"subject_token_type": "urn:ietf:params:oauth:token-type:access_token", **form}
    token_type = form.pop("subject_token_type")
    response = await tx.exchange(local.mint("u-1"), token_type, **form)
    assert message in oauth_error(response, error)


async def test_audience_may_name_the_client_itself(tx: App, local: LocalIssuer) -> None:
    response = await tx.exchange(local.mint("aud-1"), audience=tx.client_id)
    assert response.status_code == 200, response.text


async def test_a_client_without_the_grant_is_unauthorized(tx: App, local: LocalIssuer, app: Any) -> None:
    async with app.state.authshift.engine.begin() as conn:
        web, secret = await create_client(conn, ClientSpec(name="Web", redirect_uris=["https://app.example/cb"]))
    response = await tx.exchange(local.mint("u-2"), as_client=(web.client_id, str(secret)))
    oauth_error(response, "unauthorized_client")


async def test_an_id_token_type_must_be_declared_by_the_issuer_or_standard(tx: App, local: LocalIssuer) -> None:
    response = await tx.exchange(local.mint("idt-1"), ID_TOKEN_TYPE)
    assert response.status_code == 200, response.text


async def test_exchanges_are_throttled_per_subject(tx: App, local: LocalIssuer) -> None:
    for _ in range(3):
        assert (await tx.exchange(local.mint("busy-1"))).status_code == 200
    throttled = await tx.exchange(local.mint("busy-1"))
    assert "too many" in oauth_error(throttled, "slow_down", 429)
    assert throttled.headers["retry-after"] == "60"
    assert (await tx.exchange(local.mint("calm-1"))).status_code == 200  # other subjects are not affected


async def test_a_disabled_user_is_refused_and_the_refusal_audited(tx: App, local: LocalIssuer, app: Any) -> None:
    dora = await tx.create_user({"email": "dora@example.com", "external_id": "d-1"})
    assert (await tx.http.post(f"/api/admin/v1/users/{dora['id']}/disable", headers=tx.admin)).status_code == 200
    assert "disabled" in oauth_error(await tx.exchange(local.mint("d-1")), "invalid_grant")
    async with app.state.authshift.engine.connect() as conn:
        refused = (await conn.execute(sa.select(audit_log.c.details).where(audit_log.c.action == "token_exchange.refused"))).scalars().all()
    assert len(refused) == 1 and refused[0]["subject"] == "d-1" and refused[0]["issuer"] == "legacy"


async def test_a_subject_several_sources_share_is_the_issuers_source_user_or_refused(tx: App, local: LocalIssuer) -> None:
    """external_id is unique per source: two systems' users with the same id are told apart by the
    issuer's name (the source its users were imported with), never guessed."""
    shop = await tx.create_user({"email": "s@shop.example", "external_id": "u-1", "source": "shop",
                                 "migration_state": "imported"})
    ours = await tx.create_user({"email": "l@legacy.example", "external_id": "u-1", "source": "legacy",
                                 "migration_state": "imported"})
    response = await tx.exchange(local.mint("u-1"))
    assert response.status_code == 200, response.text
    assert (await tx.verified_claims(response.json()["access_token"]))["sub"] == ours["id"] != shop["id"]
    await tx.create_user({"email": "f@forum.example", "external_id": "u-2", "source": "forum",
                          "migration_state": "imported"})
    await tx.create_user({"email": "g@shop.example", "external_id": "u-2", "source": "shop",
                          "migration_state": "imported"})
    refused = await tx.exchange(local.mint("u-2"))
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant", refused.text
