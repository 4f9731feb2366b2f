"""Undoing an import job (CLI and admin API): the users it inserted go, the users it updated get
their fields back, and whoever signed in since is listed, never removed."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from authshift.accounts.login import LoginOutcome, login
from authshift.storage.tables import audit_log
from tests.imports.helpers import BCRYPT, BCRYPT_PASSWORD, run_import, user_by_email, write_ndjson
from tests.support.servers import arun_cli

OTHER_BCRYPT = "$2b$04$hJ5kmZ9ePRstJqbfvuCavuk39IEYGmsn7uF.z3B/z4AQVr/mKC.dy"  # "other password"


async def test_undo_removes_inserted_users_restores_updated_ones_and_keeps_who_signed_in(
    settings_env: dict[str, str], tmp_path: Path, client: httpx.AsyncClient, admin_headers: dict[str, str], app: Any,
) -> None:
    state = app.state.authshift
    first = write_ndjson(tmp_path / "first.ndjson", [
        {"email": "kept@undo.example", "given_name": "Before", "password": {"hash": BCRYPT}},
    ])
    # the jobs run in this process (the CLI's import is tested with the guide's commands): a second
    # process writing the SQLite file while this app's workers run can wait past its busy timeout
    assert (await run_import(state, first))[0].state == "completed"
    second = write_ndjson(tmp_path / "second.ndjson", [
        {"email": "kept@undo.example", "given_name": "After", "password": {"hash": OTHER_BCRYPT}},
        {"email": "new1@undo.example", "password": {"hash": BCRYPT}},
        {"email": "new2@undo.example", "password": {"hash": BCRYPT}},
    ])
    summary, _ = await run_import(state, second, mode="upsert")
    assert summary.state == "completed"
    job_id = str(summary.job_id)
    view = (await client.get(f"/api/admin/v1/imports/{job_id}", headers=admin_headers)).json()
    assert view["readiness"] == {"by_readiness": {"ready": 3, "lazy": 0, "reset": 0, "unverified": 0},
                                 "by_hash_family": {"bcrypt": 3}}
    assert view["warnings"] == []
    assert (await user_by_email(state, "kept@undo.example"))["given_name"] == "After"  # type: ignore[index]

    # new2 signs in after the import: it must survive the undo
    signed = await login(state, "new2@undo.example", BCRYPT_PASSWORD)
    assert signed.outcome is LoginOutcome.OK
    new1 = (await user_by_email(state, "new1@undo.example"))["id"]  # type: ignore[index]
    new2 = str(signed.user_id)

    preview = await arun_cli(["imports", "undo", job_id, "--dry-run", "--json"], settings_env)
    assert preview.returncode == 0, preview.stderr
    planned = json.loads(preview.stdout)
    assert planned["dry_run"] is True
    assert planned["remove"]["user_ids"] == [new1]
    assert planned["restore"]["count"] == 1
    assert planned["signed_in_since"]["user_ids"] == [new2]
    api_preview = await client.get(f"/api/admin/v1/imports/{job_id}/undo", headers=admin_headers)
    assert api_preview.status_code == 200 and api_preview.json() == planned
    assert await user_by_email(state, "new1@undo.example") is not None  # a preview removes nothing

    undone = await client.post(f"/api/admin/v1/imports/{job_id}/undo", headers=admin_headers)
    assert undone.status_code == 200, undone.text
    assert undone.json()["remove"]["count"] == 1 and undone.json()["dry_run"] is False
    assert await user_by_email(state, "new1@undo.example") is None
    assert await user_by_email(state, "new2@undo.example") is not None
    kept = await user_by_email(state, "kept@undo.example")
    assert kept is not None and kept["given_name"] == "Before"
    assert (await login(state, "kept@undo.example", BCRYPT_PASSWORD)).outcome is LoginOutcome.OK  # its password is back
    assert (await login(state, "kept@undo.example", "other password")).outcome is LoginOutcome.FAILED

    async with state.engine.connect() as conn:
        audits = (await conn.execute(sa.select(audit_log).where(audit_log.c.action == "import.undone"))).mappings().all()
    assert len(audits) == 1 and audits[0]["target"] == job_id and audits[0]["details"]["counts"]["remove"] == 1
    again = await client.post(f"/api/admin/v1/imports/{job_id}/undo", headers=admin_headers)
    assert again.status_code == 409 and "already undone" in again.text
    job = await client.get(f"/api/admin/v1/imports/{job_id}", headers=admin_headers)
    assert job.json()["undone_at"] is not None


async def test_a_dry_run_or_unknown_job_cannot_be_undone(
    settings_env: dict[str, str], tmp_path: Path, client: httpx.AsyncClient, admin_headers: dict[str, str],
) -> None:
    upload = await client.post("/api/admin/v1/imports?dry_run=true&filename=u.ndjson", headers=admin_headers,
                               content=json.dumps({"email": "x@undo.example", "password": {"hash": BCRYPT}}).encode())
    assert upload.status_code == 202
    job_id = upload.json()["id"]
    for _ in range(200):
        view = (await client.get(f"/api/admin/v1/imports/{job_id}", headers=admin_headers)).json()
        if view["state"] in ("completed", "failed"):
            break
        await asyncio.sleep(0.1)
    refused = await client.post(f"/api/admin/v1/imports/{job_id}/undo", headers=admin_headers)
    assert refused.status_code == 409 and "dry run" in refused.text
    missing = await arun_cli(["imports", "undo", "0190a000-0000-7000-8000-000000000000"], settings_env)
    assert missing.returncode == 1 and "no import job" in missing.stderr
    bad = await arun_cli(["imports", "undo", "not-an-id"], settings_env)
    assert bad.returncode == 2
