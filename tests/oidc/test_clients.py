"""Registering clients with the CLI and the admin API (one service behind both)."""

from __future__ import annotations

import json

import httpx

from authshift.oidc.clients import GRANT_TOKEN_EXCHANGE, new_client_id
from tests.support.servers import run_cli


def test_clients_cli(settings_env: dict[str, str]) -> None:
    made = run_cli(["clients", "create", "--name", "Web app", "--redirect-uri", "https://app.example.com/cb",
                    "--redirect-uri", "http://localhost:3000/cb", "--post-logout-redirect-uri", "https://app.example.com/"],
                   settings_env)
    assert made.returncode == 0, made.stderr
    web = json.loads(made.stdout)
    assert web["client_id"] and len(web["client_secret"]) >= 40 and web["public"] is False
    assert web["redirect_uris"] == ["https://app.example.com/cb", "http://localhost:3000/cb"]
    assert web["grant_types"] == ["authorization_code", "refresh_token"]
    assert "cannot be shown again" in made.stderr

    spa = json.loads(run_cli(["clients", "create", "--name", "SPA", "--public", "--redirect-uri",
                              "com.example.app:/callback"], settings_env).stdout)
    assert "client_secret" not in spa and spa["public"] is True and spa["token_endpoint_auth_method"] == "none"
    exchanger = json.loads(run_cli(["clients", "create", "--name", "Mobile backend", "--grant-type", "token-exchange",
                                    "--grant-type", "refresh_token"], settings_env).stdout)
    assert exchanger["grant_types"] == [GRANT_TOKEN_EXCHANGE, "refresh_token"]

    for args, expected in (
        (["--redirect-uri", "http://app.example.com/cb"], "must use https"),
        (["--redirect-uri", "https://app.example.com/cb#frag"], "fragment"),
        ([], "needs at least one redirect URI"),
        (["--public", "--grant-type", "client_credentials"], "public client cannot use client_credentials"),
        (["--grant-type", "password", "--redirect-uri", "https://a.example/cb"], "unknown grant type"),
    ):
        bad = run_cli(["clients", "create", "--name", "Bad", *args], settings_env)
        assert bad.returncode == 1 and expected in bad.stderr, (args, bad.stderr)

    listed = json.loads(run_cli(["clients", "list", "--json"], settings_env).stdout)["clients"]
    assert [c["name"] for c in listed] == ["Web app", "SPA", "Mobile backend"]
    assert all("client_secret" not in c for c in listed) and web["client_secret"] not in json.dumps(listed)
    assert "Web app" in run_cli(["clients", "list"], settings_env).stdout
    assert run_cli(["clients", "delete", web["client_id"], "--yes"], settings_env).returncode == 0
    gone = run_cli(["clients", "delete", web["client_id"], "--yes"], settings_env)
    assert gone.returncode == 1 and "no client" in gone.stderr


async def test_clients_admin_api(client: httpx.AsyncClient, admin_headers: dict[str, str]) -> None:
    assert (await client.get("/api/admin/v1/clients")).status_code == 401
    resp = await client.post("/api/admin/v1/clients", headers=admin_headers, json={
        "name": "Web", "redirect_uris": ["https://web.example/cb"], "grant_types": ["authorization_code", "client_credentials"],
        "scopes": ["openid", "email", "api:read"]})
    assert resp.status_code == 201, resp.text
    made = resp.json()
    assert made["client_secret"] and made["scopes"] == ["openid", "email", "api:read"]
    got = await client.get(f"/api/admin/v1/clients/{made['client_id']}", headers=admin_headers)
    assert got.status_code == 200 and "client_secret" not in got.json() and got.json()["name"] == "Web"
    listed = (await client.get("/api/admin/v1/clients", headers=admin_headers)).json()["clients"]
    assert [c["client_id"] for c in listed] == [made["client_id"]]

    bad = await client.post("/api/admin/v1/clients", headers=admin_headers,
                            json={"name": "X", "redirect_uris": ["ftp://x/cb"]})
    assert bad.status_code == 422 and bad.json()["errors"][0]["path"] == "redirect_uris[0]"
    extra = await client.post("/api/admin/v1/clients", headers=admin_headers, json={"name": "X", "secret": "mine"})
    assert extra.status_code == 422

    assert (await client.delete(f"/api/admin/v1/clients/{made['client_id']}", headers=admin_headers)).status_code == 204
    assert (await client.get(f"/api/admin/v1/clients/{made['client_id']}", headers=admin_headers)).status_code == 404


def test_a_new_client_id_can_be_typed_after_a_command() -> None:
    """One random id in 64 would begin with "-", and `authshift clients delete ID` would read it as
    an option; 3,000 draws pass by chance with probability (63/64)**3000, about 1e-21."""
    ids = [new_client_id() for _ in range(3000)]
    assert not [i for i in ids if i.startswith("-")]
    assert len(set(ids)) == len(ids)
