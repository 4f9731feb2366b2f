"""The admin imports API over HTTP (with the server's runner doing the work), on both backends."""

from __future__ import annotations

import asyncio
import json
import os
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from authshift.config import Settings
from authshift.migration.imports import jobs
from authshift.migration.imports.tables import import_jobs as import_jobs_table
from authshift.storage.tables import audit_log, users
from tests.imports.helpers import BCRYPT, admin_api, write_ndjson

IMPORTS = "/api/admin/v1/imports"
PROBLEM = "application/problem+json"

RECORDS = [
    {"email": "ann@x.com", "given_name": "Ann", "password": {"hash": BCRYPT}},
    {"email": "ANN@x.com"},
    {"email": "bob@x.com", "password": {"hash": "not-a-hash-secret"}},
]


async def wait_done(client: httpx.AsyncClient, headers: dict[str, str], job_id: str) -> dict[str, Any]:
    for _ in range(300):
        resp = await client.get(f"{IMPORTS}/{job_id}", headers=headers)
        assert resp.status_code == 200, resp.text
        if resp.json()["state"] not in ("queued", "running"):
            return resp.json()  # type: ignore[no-any-return]
        await asyncio.sleep(0.05)
    raise AssertionError("the import job did not finish")


def ndjson(resp: httpx.Response) -> list[dict[str, Any]]:
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("application/x-ndjson")
    return [json.loads(line) for line in resp.text.splitlines()]


async def test_upload_follow_and_read_results(
    client: httpx.AsyncClient, admin_headers: dict[str, str], tmp_path: Path, settings: Settings
) -> None:
    body = "".join(json.dumps(r) + "\n" for r in RECORDS)
    resp = await client.post(IMPORTS, headers=admin_headers, files={"file": ("users.ndjson", body)},
                             data={"format": "native", "mode": "insert", "identifier": "email"})
    assert resp.status_code == 202, resp.text
    job = resp.json()
    assert resp.headers["location"] == f"{IMPORTS}/{job['id']}" and job["state"] in ("queued", "running")
    assert job["file"] == {"name": "users.ndjson", "size": len(body.encode()), "sha256": job["file"]["sha256"]}
    done = await wait_done(client, admin_headers, job["id"])
    assert done["state"] == "completed" and done["error"] is None
    assert done["counts"] == {"read": 3, "inserted": 1, "updated": 0, "skipped": 0, "failed": 2}
    results = ndjson(await client.get(f"{IMPORTS}/{job['id']}/results", headers=admin_headers))
    assert [(r["line"], r["outcome"]) for r in results] == [(1, "inserted"), (2, "failed"), (3, "failed")]
    assert results[1]["errors"] == [{"path": "email", "message": "duplicate of line 1"}]
    failed = ndjson(await client.get(f"{IMPORTS}/{job['id']}/results?outcome=failed", headers=admin_headers))
    assert [r["line"] for r in failed] == [2, 3]
    assert failed[1]["record"]["password"] == {"hash": "[redacted]"}
    assert "not-a-hash-secret" not in json.dumps(results) and BCRYPT not in json.dumps(results)
    users_resp = await client.get("/api/admin/v1/users", params={"email": "ann@x.com"}, headers=admin_headers)
    assert users_resp.json()["users"][0]["migration_state"] == "imported"
    # the uploaded file (it holds password hashes) is gone once the job is over
    assert list((tmp_path / "imports-data").iterdir()) == []
    listed = (await client.get(IMPORTS, headers=admin_headers)).json()["imports"]
    assert [j["id"] for j in listed] == [job["id"]]


async def test_raw_body_upload_with_query_options(client: httpx.AsyncClient, admin_headers: dict[str, str]) -> None:
    first = await client.post(IMPORTS, headers=admin_headers, content=json.dumps(RECORDS[0]) + "\n",
                              params={"filename": "one.ndjson"})
    assert first.status_code == 202, first.text
    await wait_done(client, admin_headers, first.json()["id"])
    again = {"email": "Ann@X.com", "family_name": "Smith"}
    resp = await client.post(IMPORTS, headers=admin_headers, content=json.dumps(again) + "\n",
                             params={"mode": "upsert", "filename": "two.ndjson"})
    assert resp.status_code == 202 and resp.json()["options"]["mode"] == "upsert"
    done = await wait_done(client, admin_headers, resp.json()["id"])
    assert done["counts"]["updated"] == 1 and done["file"]["name"] == "two.ndjson"
    user = (await client.get("/api/admin/v1/users", params={"email": "ann@x.com"}, headers=admin_headers)).json()
    assert user["users"][0]["family_name"] == "Smith" and user["users"][0]["given_name"] == "Ann"


async def test_dry_run_over_the_api_writes_no_user(client: httpx.AsyncClient, admin_headers: dict[str, str], app: Any) -> None:
    resp = await client.post(IMPORTS, headers=admin_headers, files={"file": ("u.ndjson", json.dumps(RECORDS[0]) + "\n")},
                             data={"dry_run": "true"})
    done = await wait_done(client, admin_headers, resp.json()["id"])
    assert done["dry_run"] is True and done["counts"]["inserted"] == 1
    results = ndjson(await client.get(f"{IMPORTS}/{done['id']}/results", headers=admin_headers))
    # what would happen, and no id for a user that will never exist
    assert results[0]["outcome"] == "would_insert" and results[0]["user_id"] is None
    filtered = ndjson(await client.get(f"{IMPORTS}/{done['id']}/results", headers=admin_headers,
                                       params={"outcome": "would_insert"}))
    assert [r["line"] for r in filtered] == [results[0]["line"]]
    async with app.state.authshift.engine.connect() as conn:
        assert (await conn.execute(sa.select(sa.func.count()).select_from(users))).scalar_one() == 0


@pytest.mark.parametrize(
    ("kwargs", "path"),
    [
        ({"files": {"file": ("u.ndjson", "{}\n")}, "data": {"format": "okta"}}, "format"),
        ({"files": {"file": ("u.ndjson", "{}\n")}, "data": {"mode": "merge"}}, "mode"),
        ({"files": {"file": ("u.ndjson", "{}\n")}, "data": {"identifier": "name"}}, "identifier"),
        ({"files": {"file": ("u.ndjson", "{}\n")}, "data": {"dry_run": "maybe"}}, "dry_run"),
        ({"files": {"file": ("u.ndjson", "{}\n")}, "data": {"colour": "red"}}, "colour"),
        ({"files": {"file": ("u.ndjson", "")}}, "file"),
        ({"files": {"other": ("u.ndjson", "{}\n")}}, "file"),
        ({"files": {"file": ("u.json", "[]")}, "data": {"format": "firebase", "hash_config": "nope"}}, "hash_config"),
        ({"content": "{}\n", "params": {"format": "okta"}}, "format"),
        ({"content": ""}, "file"),
    ],
)
async def test_bad_uploads_are_refused_and_leave_nothing(
    client: httpx.AsyncClient, admin_headers: dict[str, str], tmp_path: Path, app: Any, kwargs: dict[str, Any], path: str
) -> None:
    resp = await client.post(IMPORTS, headers=admin_headers, **kwargs)
    assert resp.status_code == 422, resp.text
    assert resp.headers["content-type"].startswith(PROBLEM)
    assert path in [e["path"] for e in resp.json()["errors"]]
    assert list((tmp_path / "imports-data").iterdir()) == []
    async with app.state.authshift.engine.connect() as conn:
        assert (await conn.execute(sa.select(sa.func.count()).select_from(import_jobs_table))).scalar_one() == 0


async def test_keys_and_unknown_jobs(client: httpx.AsyncClient, admin_headers: dict[str, str]) -> None:
    some = str(uuid.uuid4())
    for method, url in [("POST", IMPORTS), ("GET", IMPORTS), ("GET", f"{IMPORTS}/{some}"),
                        ("GET", f"{IMPORTS}/{some}/results"), ("POST", f"{IMPORTS}/{some}/cancel")]:
        assert (await client.request(method, url)).status_code == 401
    for url in (f"{IMPORTS}/{some}", f"{IMPORTS}/{some}/results"):
        resp = await client.get(url, headers=admin_headers)
        assert resp.status_code == 404 and resp.headers["content-type"].startswith(PROBLEM)
    assert (await client.get(f"{IMPORTS}/{some}/results?outcome=lost", headers=admin_headers)).status_code == 422
    assert (await client.get(f"{IMPORTS}/not-a-uuid", headers=admin_headers)).status_code == 422


async def test_cancel_a_queued_job(settings: Settings, tmp_path: Path) -> None:
    quiet = settings.model_copy(update={"imports": settings.imports.model_copy(update={"runner": False})})
    async with admin_api(quiet) as (state, client, headers):
        resp = await client.post(IMPORTS, headers=headers, files={"file": ("u.ndjson", "{}\n")})
        job_id = resp.json()["id"]
        assert resp.json()["state"] == "queued" and len(list((tmp_path / "imports-data").iterdir())) == 1
        cancelled = await client.post(f"{IMPORTS}/{job_id}/cancel", headers=headers)
        assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
        assert list((tmp_path / "imports-data").iterdir()) == []
        again = await client.post(f"{IMPORTS}/{job_id}/cancel", headers=headers)
        assert again.status_code == 409
        async with state.engine.connect() as conn:
            actions = [a for (a,) in (await conn.execute(sa.select(audit_log.c.action).order_by(audit_log.c.at))).all()]
        assert actions == ["import.created", "import.cancelled"]


async def test_runner_resumes_a_job_whose_process_died(
    settings: Settings, tmp_path: Path, client: httpx.AsyncClient, admin_headers: dict[str, str], app: Any
) -> None:
    state = app.state.authshift
    path = write_ndjson(tmp_path / "u.ndjson", [{"email": f"u{n}@x.com"} for n in range(5)])
    dead_pid = 2**22 + 12345  # above the kernel's pid_max default: no such process
    # its lease has an hour to run, but its owner is a process of this host that no longer exists
    async with state.engine.begin() as conn:
        job_id = await jobs.create_job(conn, origin="api", created_by="tests", options={}, file_path=str(path),
                                       file_name=path.name, file_digest="x", file_size=path.stat().st_size)
        await conn.execute(import_jobs_table.update().values(
            state="running", lease_owner=f"{os.uname().nodename}:{dead_pid}:dead",
            lease_expires_at=datetime.now(UTC) + timedelta(hours=1), last_index=2, last_line=2, records_read=2, inserted=2,
        ))
    from authshift.migration.imports.runner import wake_runner

    wake_runner(state)
    done = await wait_done(client, admin_headers, str(job_id))
    assert done["state"] == "completed" and done["counts"]["read"] == 5 and done["counts"]["inserted"] == 5
    async with state.engine.connect() as conn:
        emails = (await conn.execute(sa.select(sa.func.count()).select_from(users))).scalar_one()
    assert emails == 3  # lines 1-2 were (pretend) committed by the dead process: it resumed at line 3


def test_a_real_server_runs_uploaded_jobs_and_logs_no_secret(live_server: Any, tmp_path: Path, settings_env: dict[str, str]) -> None:
    from tests.support.servers import run_cli

    key = json.loads(run_cli(["admin-keys", "create"], settings_env).stdout)["key"]
    headers = {"Authorization": f"Bearer {key}"}
    secret_hash = BCRYPT.replace("$10$", "$25$")
    body = json.dumps({"email": "z@x.com", "password": {"hash": secret_hash}}) + "\n" + json.dumps(RECORDS[0]) + "\n"
    resp = httpx.post(f"{live_server.url}{IMPORTS}", headers=headers, files={"file": ("u.ndjson", body)})
    assert resp.status_code == 202, resp.text
    for _ in range(200):
        job = httpx.get(f"{live_server.url}{IMPORTS}/{resp.json()['id']}", headers=headers).json()
        if job["state"] == "completed":
            break
        time.sleep(0.05)
    assert job["counts"] == {"read": 2, "inserted": 1, "updated": 0, "skipped": 0, "failed": 1}
    results = httpx.get(f"{live_server.url}{IMPORTS}/{job['id']}/results", headers=headers).text
    live_server.stop()
    for text in (results, live_server.log()):
        assert secret_hash not in text and BCRYPT not in text and key not in text


async def test_the_api_imports_a_firebase_project_and_a_hash_family_by_name_and_the_users_sign_in(
    client: httpx.AsyncClient, admin_headers: dict[str, str], app: Any
) -> None:
    """The admin API's equivalents of --hash-config FILE / --hash-config-name / --hash-format."""
    from tests.e2e.test_firebase_projects_sign_in import A_CONSOLE_BLOCK, A_USERS
    from tests.oidc.helpers import submit

    werkzeug = {"hash": "sha1$8VTGSwQeUHHJM75s$953f8b831d465af8d6f8547dc839da518d999c9a", "password": "hunter2"}
    uploads = [
        ({"file": ("users.json", json.dumps(A_USERS)), "hash_config_file": ("hash.txt", A_CONSOLE_BLOCK)},
         {"format": "firebase", "hash_config_name": "project-a"}),
        ({"file": ("flask.ndjson", json.dumps({"email": "flask@x.com", "password": {"hash": werkzeug["hash"]}}) + "\n")},
         {"format": "native", "hash_format": "werkzeug"}),
    ]
    for files, data in uploads:
        resp = await client.post(IMPORTS, headers=admin_headers, files=files, data=data)
        assert resp.status_code == 202, resp.text
        job = await wait_done(client, admin_headers, resp.json()["id"])
        assert job["state"] == "completed" and job["counts"]["inserted"] == 1, job
    bad = await client.post(IMPORTS, headers=admin_headers, files={"file": ("u.ndjson", "{}\n")},
                            data={"hash_format": "no-such-family"})
    assert bad.status_code == 422 and "hash_format" in bad.text
    for login_id, password in (("user1@project-a.example", "user1password"), ("flask@x.com", werkzeug["password"])):
        page = await client.get("/login")
        signed_in = await submit(client, page, {"login_id": login_id, "password": password})
        assert signed_in.status_code == 303, (login_id, signed_in.text)
        client.cookies.clear()
