"""``authshift exports list|show``: the exports queued through the admin API, as the API shows
them, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.exports.conftest import finished_export
from tests.support.servers import arun_cli, run_cli


async def test_list_and_show_equal_the_admin_api(
    app: Any, client: httpx.AsyncClient, admin_headers: dict[str, str], settings_env: dict[str, str],
) -> None:
    for email in ("ada@x.com", "grace@x.com"):
        assert (await client.post("/api/admin/v1/users", json={"email": email}, headers=admin_headers)).status_code == 201
    created = await client.post("/api/admin/v1/exports", headers=admin_headers, json={"format": "csv"})
    assert created.status_code == 202, created.text
    job = await finished_export(client, admin_headers, created.json()["id"])
    assert job["state"] == "completed" and job["counts"]["users"] == 2

    listed = json.loads((await arun_cli(["exports", "list", "--json"], settings_env)).stdout)
    api_list = (await client.get("/api/admin/v1/exports", headers=admin_headers)).json()
    assert listed == api_list and [e["id"] for e in listed["exports"]] == [job["id"]]
    shown = json.loads((await arun_cli(["exports", "show", job["id"], "--json"], settings_env)).stdout)
    assert shown == job

    table = (await arun_cli(["exports", "list"], {**settings_env, "COLUMNS": "80"})).stdout.splitlines()
    assert max(len(line) for line in table) <= 80
    assert table[0].split() == ["id", "state", "format", "users", "secrets"]
    assert table[1].split() == [job["id"], "completed", "csv", "2", "no"]
    text = (await arun_cli(["exports", "show", job["id"]], settings_env)).stdout
    assert f"export {job['id']}" in text and "secrets  not included" in text and "users    2 of 2" in text
    assert f"/api/admin/v1/exports/{job['id']}/download" in text


def test_show_refuses_unknown_and_malformed_ids(settings_env: dict[str, str]) -> None:
    unknown = run_cli(["exports", "show", "01234567-89ab-7def-8123-456789abcdef"], settings_env)
    assert unknown.returncode == 1 and "no export job with id 01234567-89ab-7def-8123-456789abcdef" in unknown.stderr
    malformed = run_cli(["exports", "show", "latest"], settings_env)
    assert malformed.returncode == 2 and "'latest' is not an export id" in malformed.stderr
    empty = run_cli(["exports", "list"], settings_env)
    assert empty.returncode == 0 and empty.stdout.split() == ["id", "state", "format", "users", "secrets"]
