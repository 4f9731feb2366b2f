"""Admin API exports: queue, watch, download; secrets need the secrets:export scope."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pyrage
import pytest
import sqlalchemy as sa
from pyrage import x25519

from authshift.security.admin_keys import create_admin_key
from authshift.storage.tables import audit_log
from tests.exports.conftest import finished_export
from tests.exports.population import TOTP_SECRET, Member


@pytest.fixture
def settings_env(settings_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    return {**settings_env, "AUTHSHIFT_DATA_DIR": str(tmp_path / "data")}


@pytest.fixture
async def plain_headers(app: Any) -> dict[str, str]:
    async with app.state.authshift.engine.begin() as conn:
        new = await create_admin_key(conn, "no secrets")
    return {"Authorization": f"Bearer {new.plaintext}"}


async def test_export_job_runs_in_the_background_and_downloads(
    app: Any, client: httpx.AsyncClient, admin_headers: dict[str, str], population: list[Member], tmp_path: Path
) -> None:
    created = await client.post("/api/admin/v1/exports", headers=admin_headers,
                                json={"format": "ndjson", "filters": {"source": "formats"}, "include_secrets": True})
    assert created.status_code == 202, created.text
    job = await finished_export(client, admin_headers, created.json()["id"])
    formats = sum(1 for m in population if m.format and m.email and "formats.example.com" in m.email)
    assert job["state"] == "completed" and job["counts"]["users"] == job["counts"]["total"] == formats
    assert job["options"]["filters"] == {"source": "formats"}
    download = await client.get(job["download"], headers=admin_headers)
    assert download.status_code == 200 and download.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in download.text.splitlines()]
    assert len(lines) == formats and all(r["source"] == "formats" and "password" in r for r in lines)
    async with app.state.authshift.engine.connect() as conn:
        actions = [(r.action, r.actor) for r in await conn.execute(sa.select(audit_log).order_by(audit_log.c.at))]
    assert [a for a, _ in actions] == ["users.export", "users.export.download"]
    assert all(actor.startswith("admin_key:") for a, actor in actions if a.startswith("users.export"))


async def test_secrets_need_the_secrets_scope(
    client: httpx.AsyncClient, admin_headers: dict[str, str], plain_headers: dict[str, str], population: list[Member]
) -> None:
    refused = await client.post("/api/admin/v1/exports", headers=plain_headers, json={"include_secrets": True})
    assert refused.status_code == 403 and "secrets:export" in refused.json()["detail"]
    allowed = await client.post("/api/admin/v1/exports", headers=plain_headers, json={"format": "csv"})
    assert allowed.status_code == 202
    job = await finished_export(client, plain_headers, allowed.json()["id"])
    assert (await client.get(job["download"], headers=plain_headers)).status_code == 200
    secret = await client.post("/api/admin/v1/exports", headers=admin_headers, json={"include_secrets": True})
    secret_job = await finished_export(client, admin_headers, secret.json()["id"])
    assert (await client.get(secret_job["download"], headers=plain_headers)).status_code == 403
    body = (await client.get(secret_job["download"], headers=admin_headers)).text
    assert TOTP_SECRET in body
    url = f"/api/admin/v1/exports/{secret_job['id']}"
    assert (await client.delete(url, headers=plain_headers)).status_code == 403
    assert (await client.delete(url, headers=admin_headers)).status_code == 204
    assert (await client.get(url, headers=admin_headers)).status_code == 404
    assert (await client.get(secret_job["download"], headers=admin_headers)).status_code == 404
    assert (await client.post("/api/admin/v1/exports", json={})).status_code == 401


async def test_encrypted_auth0_export_with_report(
    client: httpx.AsyncClient, admin_headers: dict[str, str], population: list[Member]
) -> None:
    identity = x25519.Identity.generate()
    created = await client.post("/api/admin/v1/exports", headers=admin_headers, json={
        "format": "auth0", "include_secrets": True, "encrypt_to": [str(identity.to_public())]})
    job = await finished_export(client, admin_headers, created.json()["id"])
    assert job["state"] == "completed" and job["counts"]["issues"] > 0
    download = await client.get(job["download"], headers=admin_headers)
    assert download.headers["content-type"] == "application/octet-stream"
    users = json.loads(pyrage.decrypt(download.content, [identity]))
    assert len(users) == job["counts"]["written"]
    report = await client.get(job["report"], headers=admin_headers)
    assert report.status_code == 200 and len(report.text.splitlines()) == job["counts"]["issues"]


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"format": "yaml"}, "format"),
        ({"filters": {"role": ""}}, "filters.role"),
        ({"filters": ["role=admin"]}, "filters"),
        ({"fields": ["email", "nope"]}, "fields"),
        ({"encrypt_to": "not-a-key"}, "encrypt_to[0]"),
        ({"compress": True}, "compress"),
    ],
)
async def test_bad_options_are_422_with_the_field(
    client: httpx.AsyncClient, admin_headers: dict[str, str], body: dict[str, Any], path: str
) -> None:
    response = await client.post("/api/admin/v1/exports", headers=admin_headers, json=body)
    assert response.status_code == 422
    assert path in [e["path"] for e in response.json()["errors"]]


async def test_unknown_job_is_404(client: httpx.AsyncClient, admin_headers: dict[str, str]) -> None:
    missing = "01900000-0000-7000-8000-000000000000"
    assert (await client.get(f"/api/admin/v1/exports/{missing}", headers=admin_headers)).status_code == 404
    assert (await client.get(f"/api/admin/v1/exports/{missing}/download", headers=admin_headers)).status_code == 404


async def test_a_job_whose_worker_died_is_taken_over(app: Any, population: list[Member]) -> None:
    """The lease runs out, another worker claims the job and runs it again from the start."""
    from datetime import timedelta

    from authshift.migration.exports import jobs as export_jobs
    from authshift.migration.exports.options import parse_export_options
    from authshift.migration.exports.tables import export_jobs as table
    from authshift.storage.types import utcnow

    state = app.state.authshift
    async with state.engine.begin() as conn:
        job_id = await export_jobs.create_export_job(conn, parse_export_options(), actor="tests")
        await conn.execute(table.update().where(table.c.id == job_id).values(
            state="running", lease_owner="a dead process", attempts=1, lease_expires_at=utcnow() - timedelta(seconds=1)))
    for _ in range(200):
        async with state.engine.connect() as conn:
            job = await export_jobs.get_export_job(conn, job_id)
        if job["state"] == "completed":
            break
        await asyncio.sleep(0.05)
    assert job["state"] == "completed" and job["attempts"] == 2 and job["users"] == len(population)
