"""POST /api/admin/v1/users/{id}/sessions: a first-party backend mints tokens for a user (when enabled)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from authshift.oidc.clients import ClientSpec, create_client
from authshift.storage.tables import audit_log
from tests.token_exchange.helpers import App, exchange_config


@pytest.fixture
def exchange_toml() -> str:
    return exchange_config([], admin_sessions_enabled=True)


@pytest.fixture
async def tx(app: Any, client: httpx.AsyncClient, admin_headers: dict[str, str]) -> App:
    async with app.state.authshift.engine.begin() as conn:
        registered, secret = await create_client(conn, ClientSpec(name="Backend", grant_types=["refresh_token"],
                                                                  scopes=["openid", "profile", "offline_access"]))
    return App(client, registered.client_id, str(secret), admin_headers)


async def mint(tx: App, user_id: str, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    return await tx.http.post(f"/api/admin/v1/users/{user_id}/sessions", json=body,
                              headers=tx.admin if headers is None else headers)


async def test_a_backend_mints_tokens_for_an_imported_user(tx: App, app: Any) -> None:
    user = await tx.create_user({"email": "ivy@example.com", "external_id": "i-1", "migration_state": "imported",
                                 "name": "Ivy"})
    response = await mint(tx, user["id"], {"client_id": tx.client_id, "scope": "openid profile offline_access"})
    assert response.status_code == 201, response.text
    tokens = response.json()
    assert tokens["user_id"] == user["id"] and tokens["refresh_token"]
    assert (await tx.verified_claims(tokens["access_token"]))["sub"] == user["id"]
    assert (await tx.verified_claims(tokens["id_token"]))["name"] == "Ivy"
    assert (await tx.refresh(tokens["refresh_token"])).status_code == 200
    assert (await tx.user(user["id"]))["migration_state"] == "migrated"
    async with app.state.authshift.engine.connect() as conn:
        row = (await conn.execute(sa.select(audit_log).where(audit_log.c.action == "session.minted"))).mappings().one()
    assert row["target"] == user["id"] and row["actor"].startswith("admin_key:")
    assert row["details"]["client_id"] == tx.client_id


async def test_bad_requests_are_refused_with_problems(tx: App) -> None:
    user = await tx.create_user({"email": "jay@example.com"})
    assert (await mint(tx, user["id"], {"client_id": tx.client_id}, headers={})).status_code == 401
    assert (await mint(tx, user["id"], {})).json()["errors"][0]["path"] == "client_id"
    assert (await mint(tx, user["id"], {"client_id": "nope"})).status_code == 422
    too_wide = await mint(tx, user["id"], {"client_id": tx.client_id, "scope": "openid email"})
    assert too_wide.status_code == 422 and "email" in too_wide.json()["errors"][0]["message"]
    missing = await mint(tx, "0190a6e2-7c1e-7d3a-9b5e-2f1c3d4e5f60", {"client_id": tx.client_id})
    assert missing.status_code == 404
    await tx.http.post(f"/api/admin/v1/users/{user['id']}/disable", headers=tx.admin)
    disabled = await mint(tx, user["id"], {"client_id": tx.client_id})
    assert disabled.status_code == 403 and "disabled" in disabled.json()["detail"]
    assert disabled.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("exchange_toml", [exchange_config([])])
async def test_the_endpoint_is_off_unless_enabled(tx: App) -> None:
    user = await tx.create_user({"email": "kim@example.com"})
    response = await mint(tx, user["id"], {"client_id": tx.client_id})
    assert response.status_code == 404 and "admin_sessions_enabled" in response.json()["detail"]
