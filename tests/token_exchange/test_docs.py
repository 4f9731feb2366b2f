"""docs/zero-downtime.md: its configuration loads as documented, and its HTTP examples work."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import httpx
import pytest

from authshift.config import load_settings
from authshift.oidc.clients import ClientSpec, create_client
from tests.support.legacy_tokens import LocalIssuer
from tests.token_exchange.helpers import exchange_config, local_jwt_issuer

DOC = (Path(__file__).resolve().parents[2] / "docs" / "zero-downtime.md").read_text()


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", DOC, re.S)


def test_the_documented_configuration_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (toml,) = blocks("toml")
    path = tmp_path / "authshift.toml"
    path.write_text(toml)
    monkeypatch.delenv("AUTHSHIFT_CONFIG", raising=False)
    settings = load_settings(path)
    te = settings.migration.token_exchange
    assert [(i.name, i.type) for i in te.issuers] == [
        ("legacy", "jwt"), ("legacy-opaque", "introspection"), ("app-sessions", "hook"),
    ]
    assert te.issuers[0].claim_mapping["phone_number"] == "phone_number"
    assert te.issuers[2].token_types == ["urn:example:legacy-session"]
    assert not te.admin_sessions_enabled


def curl(index: int, variables: dict[str, str]) -> tuple[str, dict[str, Any]]:
    """The method-less parts of a documented curl command: URL path, auth, form or JSON, headers."""
    command = blocks("sh")[index].replace("\\\n", " ")
    for name, value in variables.items():
        command = command.replace(f"${name}", value)
    args = shlex.split(command)
    request: dict[str, Any] = {"form": {}, "headers": {}}
    url = next(a for a in args if a.startswith("https://login.example.com/"))
    for flag, value in zip(args, args[1:], strict=False):
        if flag == "-u":
            request["auth"] = tuple(value.split(":", 1))
        elif flag == "--data-urlencode":
            key, _, val = value.partition("=")
            request["form"][key] = val
        elif flag == "-d":
            request["json"] = json.loads(value)
        elif flag == "-H":
            key, _, val = value.partition(": ")
            request["headers"][key] = val
    return url.removeprefix("https://login.example.com"), request


@pytest.fixture
def exchange_toml(local: LocalIssuer) -> str:
    return exchange_config([local_jwt_issuer(local, on_unknown_user="create")], admin_sessions_enabled=True)


async def test_the_documented_requests_work(app: Any, client: httpx.AsyncClient, admin_headers: dict[str, str],
                                            local: LocalIssuer) -> None:
    async with app.state.authshift.engine.begin() as conn:
        registered, secret = await create_client(conn, ClientSpec(
            name="Mobile app", grant_types=["token-exchange", "refresh_token"]))
    variables = {"CLIENT_ID": registered.client_id, "CLIENT_SECRET": str(secret),
                 "LEGACY_ACCESS_TOKEN": local.mint("legacy-user-1", email="one@example.com", email_verified=True)}
    path, request = curl(1, variables)
    response = await client.post(path, data=request["form"], auth=request["auth"])
    assert response.status_code == 200, response.text
    documented = json.loads(blocks("json")[0])
    assert set(response.json()) == set(documented)
    assert response.json()["scope"] == documented["scope"]
    assert response.json()["issued_token_type"] == documented["issued_token_type"]

    user_id = (await client.get("/api/admin/v1/users", params={"external_id": "legacy-user-1"},
                                headers=admin_headers)).json()["users"][0]["id"]
    variables |= {"USER_ID": user_id, "ADMIN_KEY": admin_headers["Authorization"].removeprefix("Bearer ")}
    path, request = curl(2, variables)
    minted = await client.post(path, json=request["json"], headers=request["headers"])
    assert minted.status_code == 201, minted.text
    assert minted.json()["user_id"] == user_id and minted.json()["refresh_token"]
