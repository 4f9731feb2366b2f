"""What the client app does in these tests: register, exchange, refresh, check authshift's tokens."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx
from joserfc import jwt
from joserfc.jwk import KeySet
from joserfc.jwt import JWTClaimsRegistry

from authshift.migration.token_exchange.request import ACCESS_TOKEN_TYPE, GRANT_TYPE
from authshift.oidc.discovery import PATHS
from tests.support.legacy_tokens import LocalIssuer
from tests.support.servers import LiveServer, run_cli

TOKEN_PATH = PATHS["token_endpoint"]
ALL_SCOPES = "openid profile email phone offline_access"


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(type(value))


def local_jwt_issuer(local: LocalIssuer, **extra: Any) -> dict[str, Any]:
    """Issuer settings for our own local legacy issuer (name "legacy", type jwt)."""
    return {"name": "legacy", "type": "jwt", "issuer": local.issuer, "jwks_uri": local.jwks_uri,
            "audiences": [local.audience], **extra}


def exchange_config(issuers: list[dict[str, Any]], **settings: Any) -> str:
    """The ``[migration.token_exchange]`` TOML for these issuers (throttles generous unless given)."""
    lines = ["[migration.token_exchange]"]
    lines += [f"{k} = {toml_value(v)}" for k, v in {"subject_max_exchanges": 100, **settings}.items()]
    for issuer in issuers:
        lines += ["", "[[migration.token_exchange.issuers]]"]
        lines += [f"{k} = {toml_value(v)}" for k, v in issuer.items()]
    return "\n".join(lines) + "\n"


@dataclass
class App:
    """A client application of authshift (a confidential client) and the operator's admin key."""

    http: httpx.AsyncClient
    client_id: str
    client_secret: str
    admin: dict[str, str]

    async def exchange(self, token: str, token_type: str = ACCESS_TOKEN_TYPE, *, scope: str | None = ALL_SCOPES,
                       as_client: tuple[str, str] | None = None, **form: str) -> httpx.Response:
        data = {"grant_type": GRANT_TYPE, "subject_token": token, "subject_token_type": token_type, **form}
        if scope is not None:
            data["scope"] = scope
        return await self.http.post(TOKEN_PATH, data=data, auth=as_client or (self.client_id, self.client_secret))

    async def refresh(self, refresh_token: str) -> httpx.Response:
        return await self.http.post(TOKEN_PATH, data={"grant_type": "refresh_token", "refresh_token": refresh_token},
                                    auth=(self.client_id, self.client_secret))

    async def create_user(self, record: dict[str, Any]) -> dict[str, Any]:
        response = await self.http.post("/api/admin/v1/users", json=record, headers=self.admin)
        assert response.status_code == 201, response.text
        return dict(response.json())

    async def user(self, user_id: str) -> dict[str, Any]:
        response = await self.http.get(f"/api/admin/v1/users/{user_id}", headers=self.admin)
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def user_by_external_id(self, external_id: str) -> dict[str, Any]:
        response = await self.http.get("/api/admin/v1/users", params={"external_id": external_id}, headers=self.admin)
        users = response.json()["users"]
        assert len(users) == 1, users
        return dict(users[0])

    async def verified_claims(self, token: str, *, audience: str | None = None) -> dict[str, Any]:
        """Check an authshift token with authshift's published keys, as a resource server would."""
        discovery = (await self.http.get("/.well-known/openid-configuration")).json()
        keys = KeySet.import_key_set((await self.http.get(discovery["jwks_uri"])).json())
        decoded = jwt.decode(token, keys)
        JWTClaimsRegistry(
            iss={"essential": True, "value": discovery["issuer"]},
            aud={"essential": True, "value": audience or self.client_id},
            exp={"essential": True},
        ).validate(decoded.claims)
        return dict(decoded.claims)


def oauth_error(response: httpx.Response, error: str, status: int = 400) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == error, body
    assert response.headers["cache-control"] == "no-store"
    return str(body.get("error_description", ""))


def cli_json(args: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Run ``authshift ARGS`` as the operator would; its JSON output."""
    result = run_cli(args, env)
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout))


def logged_events(server: LiveServer) -> list[dict[str, Any]]:
    """The server's structured (JSON) log lines."""
    return [json.loads(line) for line in server.log().splitlines() if line.startswith("{")]


def refusals(server: LiveServer) -> list[dict[str, Any]]:
    return [event for event in logged_events(server) if event.get("event") == "token exchange refused"]
