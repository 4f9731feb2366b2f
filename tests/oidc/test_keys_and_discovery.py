"""Discovery, the JWKS, signing keys at rest and their rotation, and the grant registry contract."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from joserfc import jwt
from joserfc.jwk import KeySet

from authshift.oidc.clients import GRANT_TOKEN_EXCHANGE, Client
from authshift.oidc.errors import OAuthError
from authshift.oidc.grants import GRANT_HANDLERS
from authshift.oidc.keys import SigningKeyCache, key_box, rotate_key
from authshift.oidc.tables import signing_keys
from authshift.oidc.tokens import issue_tokens
from authshift.state import AppState
from authshift.storage.types import utcnow
from tests.oidc.conftest import KEY_CACHE_SECONDS
from tests.oidc.helpers import new_client, new_user
from tests.support.servers import arun_cli, run_cli

ISSUER = "http://127.0.0.1:8000"


async def test_discovery_advertises_every_endpoint(client: httpx.AsyncClient) -> None:
    resp = await client.get("/.well-known/openid-configuration")
    assert resp.status_code == 200
    meta = resp.json()
    assert meta["issuer"] == ISSUER
    for name in ("authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri", "revocation_endpoint",
                 "introspection_endpoint", "end_session_endpoint"):
        assert meta[name].startswith(ISSUER + "/"), name
        path = meta[name][len(ISSUER):]
        method = "GET" if name in ("authorization_endpoint", "userinfo_endpoint", "jwks_uri", "end_session_endpoint") else "POST"
        assert (await client.request(method, path)).status_code != 404, name
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert meta["response_types_supported"] == ["code"]
    assert set(meta["grant_types_supported"]) == {  # token exchange registers itself when the app is built
        "authorization_code", "refresh_token", "client_credentials", GRANT_TOKEN_EXCHANGE,
    }
    assert {"openid", "profile", "email", "phone", "address", "offline_access"} <= set(meta["scopes_supported"])
    assert {"client_secret_basic", "client_secret_post"} <= set(meta["token_endpoint_auth_methods_supported"])
    assert {"sub", "email", "phone_number", "address", "nonce", "at_hash"} <= set(meta["claims_supported"])
    assert meta["id_token_signing_alg_values_supported"] == ["RS256", "ES256"]


async def test_first_key_is_created_encrypted_and_published(state: AppState, client: httpx.AsyncClient) -> None:
    jwks = (await client.get("/.well-known/jwks.json")).json()
    assert len(jwks["keys"]) == 1
    key = jwks["keys"][0]
    assert key["kty"] == "RSA" and key["alg"] == "RS256" and key["use"] == "sig" and key["kid"]
    assert not {"d", "p", "q", "dp", "dq", "qi"} & set(key)
    async with state.engine.connect() as conn:
        row = (await conn.execute(sa.select(signing_keys))).mappings().one()
    assert row["private_key_encrypted"].startswith("v1:") and "PRIVATE KEY" not in row["private_key_encrypted"]


async def _tokens(state: AppState, email: str) -> dict[str, Any]:
    uid = await new_user(state, email=email)
    app_client, _ = await new_client(state)
    async with state.engine.begin() as conn:
        return await issue_tokens(state, conn, client=app_client, user_id=uid, scope="openid email")


async def test_rotation_keeps_old_keys_published_until_their_tokens_expire(
    state: AppState, client: httpx.AsyncClient, settings_env: dict[str, str]
) -> None:
    before = await _tokens(state, "k@example.com")
    old_kid = jwt.decode(before["id_token"], KeySet.import_key_set((await client.get("/.well-known/jwks.json")).json())).header["kid"]

    # In a thread: the app's event loop must keep running while the CLI waits for SQLite's write
    # lock (a background task of the app may be holding it in the middle of a transaction).
    rotated = await asyncio.to_thread(run_cli, ["keys", "rotate", "--alg", "ES256"], settings_env)
    assert rotated.returncode == 0, rotated.stderr
    out = json.loads(rotated.stdout)
    assert out["kid"] != old_kid
    assert {k["kid"]: k["status"] for k in out["keys"]} == {old_kid: "published", out["kid"]: "signing"}
    assert "PRIVATE" not in rotated.stdout

    keys = KeySet.import_key_set((await client.get("/.well-known/jwks.json")).json())
    # this process read the signing key less than KEY_CACHE_SECONDS ago: it may still sign with
    # the old one for that long, whose tokens the JWKS still verifies
    meanwhile = await _tokens(state, "k2@example.com")
    assert jwt.decode(meanwhile["id_token"], keys, algorithms=["RS256", "ES256"]).header["kid"] in (old_kid, out["kid"])
    await asyncio.sleep(KEY_CACHE_SECONDS)
    after = await _tokens(state, "k3@example.com")
    new_token = jwt.decode(after["id_token"], keys, algorithms=["ES256"])
    assert new_token.header == {"alg": "ES256", "kid": out["kid"], "typ": "JWT"}
    assert jwt.decode(before["id_token"], keys, algorithms=["RS256"]).claims["email"] == "k@example.com"

    async with state.engine.begin() as conn:
        row = (await conn.execute(sa.select(signing_keys).where(signing_keys.c.kid == old_kid))).mappings().one()
        # the longest token lifetime, plus the time other processes may still sign with the old key
        assert row["unpublish_at"] - row["retired_at"] == timedelta(seconds=600 + KEY_CACHE_SECONDS)
        await conn.execute(signing_keys.update().where(signing_keys.c.kid == old_kid).values(unpublish_at=utcnow()))
    published = [k["kid"] for k in (await client.get("/.well-known/jwks.json")).json()["keys"]]
    assert published == [out["kid"]]
    assert (await arun_cli(["keys", "rotate", "--alg", "HS256"], settings_env)).returncode == 2


async def test_a_process_keeps_the_signing_key_for_the_cache_time_only(state: AppState) -> None:
    now = [1000.0]
    cache = SigningKeyCache(key_box(state.secrets.encryption_key), state.settings.oidc, clock=lambda: now[0])
    async with state.engine.begin() as conn:
        first = await cache.current(conn)
        new_kid = await rotate_key(conn, key_box(state.secrets.encryption_key), state.settings.oidc)
        assert (await cache.current(conn)).kid == first.kid  # rotated elsewhere: not seen yet
        now[0] += KEY_CACHE_SECONDS
        assert (await cache.current(conn)).kid == new_kid != first.kid


async def test_registered_grants_plug_into_the_token_endpoint(
    state: AppState, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The contract token exchange builds on: a handler in GRANT_HANDLERS, tokens from issue_tokens."""
    uid = await new_user(state, email="x@example.com")

    async def exchange(form: Mapping[str, str], app_client: Client, app_state: AppState, ip: str | None) -> dict[str, Any]:
        if form.get("subject_token") != "legacy-token":
            raise OAuthError("invalid_grant", "the subject token is not valid")
        async with app_state.engine.begin() as conn:
            body = await issue_tokens(app_state, conn, client=app_client, user_id=uid, scope=form.get("scope", "openid"))
        return {**body, "issued_token_type": "urn:ietf:params:oauth:token-type:access_token"}

    monkeypatch.setitem(GRANT_HANDLERS, GRANT_TOKEN_EXCHANGE, exchange)
    assert GRANT_TOKEN_EXCHANGE in (await client.get("/.well-known/openid-configuration")).json()["grant_types_supported"]
    allowed, secret = await new_client(state, grant_types=["token-exchange", "refresh_token"], redirect_uris=[])
    other, other_secret = await new_client(state)
    form = {"grant_type": GRANT_TOKEN_EXCHANGE, "subject_token": "legacy-token", "scope": "openid email"}
    resp = await client.post("/oauth2/token", data=form, auth=(allowed.client_id, secret or ""))
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert {"access_token", "refresh_token", "id_token", "issued_token_type"} <= set(body)
    refused = await client.post("/oauth2/token", data=form, auth=(other.client_id, other_secret or ""))
    assert refused.json()["error"] == "unauthorized_client"
    bad = await client.post("/oauth2/token", data={**form, "subject_token": "x"}, auth=(allowed.client_id, secret or ""))
    assert bad.status_code == 400 and bad.json() == {"error": "invalid_grant", "error_description": "the subject token is not valid"}
    # The refresh token of the new client session works with the refresh grant.
    again = await client.post("/oauth2/token", data={"grant_type": "refresh_token", "refresh_token": body["refresh_token"]},
                              auth=(allowed.client_id, secret or ""))
    assert again.status_code == 200 and again.json()["refresh_token"] != body["refresh_token"]
    # Without the refresh_token grant a client gets no refresh token (it could not use one).
    no_refresh, no_refresh_secret = await new_client(state, grant_types=["token-exchange"], redirect_uris=[])
    only_access = await client.post("/oauth2/token", data=form, auth=(no_refresh.client_id, no_refresh_secret or ""))
    assert only_access.status_code == 200 and "refresh_token" not in only_access.json()
