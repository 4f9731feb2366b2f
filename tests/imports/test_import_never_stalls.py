"""Issue #14, "Imports that never stall": a record no database can store fails alone (with its
line and reason) and the rest of the file is imported, through the real CLI and the admin API
upload, on SQLite and PostgreSQL; a job that keeps crashing ends failed after
``[imports] max_attempts`` runs, on the CLI and on the server's runner."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
import sqlalchemy as sa

from authshift.config import Settings
from authshift.migration.formats import _stream
from authshift.migration.imports import jobs
from authshift.migration.imports.tables import import_jobs
from authshift.state import AppState
from authshift.storage.db import create_engine
from tests.imports.helpers import (
    BCRYPT,
    BCRYPT_PASSWORD,
    admin_api,
    app_state,
    read_ndjson,
    run_import,
    summary_counts,
    user_by_email,
)
from tests.oidc.helpers import REDIRECT_URI, new_client, pkce_pair, query_of, sign_in
from tests.support.servers import arun_cli

IMPORTS = "/api/admin/v1/imports"
DEEP = "[" * 100_000 + "]" * 100_000
# (the line as written, the error path, a word of the reason); None: a good record
LINES: list[tuple[str, str | None, str | None]] = [
    (json.dumps({"email": "ann@x.com", "password": {"hash": BCRYPT}}), None, None),
    ('{"email": "s@x.com", "name": "bad \\ud800 name"}', "name", "lone UTF-16 surrogate"),
    ('{"email": "n@x.com", "name": "nul\\u0000name"}', "name", "NUL character"),
    ('{"email": "d@x.com", "custom_attributes": {"deep": ' + DEEP + "}}", "", "nested too deeply"),
    ('{"email": "nan@x.com", "custom_attributes": {"score": NaN}}', "custom_attributes.score", "NaN and Infinity"),
    ('{"email": "inf@x.com", "custom_attributes": {"n": [1, -Infinity]}}', "custom_attributes.n[1]", "NaN and Infinity"),
    ('{"email": "k@x.com", "custom_attributes": {"\\udc00": 1}}', "custom_attributes", "lone UTF-16 surrogate"),
    (json.dumps({"email": "long@x.com", "name": "x" * 5000}), "name", "at most 1024 characters"),
    (json.dumps({"email": "big@x.com", "custom_attributes": {"blob": "y" * 70_000}}), "custom_attributes",
     "at most 65536"),
    (json.dumps({"email": "bob@x.com", "password": {"hash": BCRYPT}}), None, None),
]


def write_file(path: Path) -> Path:
    path.write_text("".join(line + "\n" for line, _, _ in LINES))
    return path


def assert_outcomes(results: list[dict[str, Any]]) -> None:
    assert [r["line"] for r in results] == list(range(1, len(LINES) + 1))
    for result, (_, path, reason) in zip(results, LINES, strict=False):
        if reason is None:
            assert result["outcome"] in ("inserted", "would_insert"), result  # a CLI dry run says what it would do
        else:
            assert result["outcome"] == "failed" and len(result["errors"]) == 1, result
            assert result["errors"][0]["path"] == path and reason in result["errors"][0]["message"], result


async def signs_in(state: AppState, http: httpx.AsyncClient, email: str) -> None:
    """The hosted login page, as a person uses it: the imported user gets an authorization code."""
    app_client, _ = await new_client(state, public=True)
    _, challenge = pkce_pair()
    url = "/oauth2/authorize?" + urlencode({
        "client_id": app_client.client_id, "redirect_uri": REDIRECT_URI, "response_type": "code", "scope": "openid",
        "state": "st", "code_challenge": challenge, "code_challenge_method": "S256"})
    assert "code" in query_of(await sign_in(http, url, email, BCRYPT_PASSWORD))


async def test_cli_bad_values_fail_alone_and_the_rest_signs_in(
    settings_env: dict[str, str], tmp_path: Path, app: Any, client: httpx.AsyncClient
) -> None:
    path = write_file(tmp_path / "users.ndjson")
    report = tmp_path / "report.ndjson"
    result = await arun_cli(["import", str(path), "--report", str(report)], settings_env, cwd=tmp_path, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "completed" in result.stdout
    assert summary_counts(result.stdout) == {"read": len(LINES), "inserted": 2, "updated": 0, "skipped": 0,
                                             "failed": len(LINES) - 2}
    assert_outcomes(read_ndjson(report))
    for email in ("ann@x.com", "bob@x.com"):
        await signs_in(app.state.authshift, client, email)


async def test_a_json_array_and_a_long_first_line(settings_env: dict[str, str], tmp_path: Path) -> None:
    """The same records as one JSON array (the other decoder); an NDJSON file whose first line
    is longer than the 64 KiB the format is sniffed from is still NDJSON."""
    array = tmp_path / "users.json"
    array.write_text("[\n" + ",\n".join(line for line, _, _ in LINES) + "\n]\n")
    report = tmp_path / "array.ndjson"
    result = await arun_cli(["import", str(array), "--report", str(report), "--dry-run"], settings_env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    outcomes = read_ndjson(report)
    assert [r["index"] for r in outcomes] == list(range(1, len(LINES) + 1))
    assert [r["line"] for r in outcomes] == list(range(2, len(LINES) + 2))
    assert_outcomes([{**r, "line": r["index"]} for r in outcomes])

    long_first = tmp_path / "long.ndjson"
    long_first.write_text(json.dumps({"email": "l@x.com", "custom_attributes": {"notes": "z" * 60_000,
                                                                                 "more": "w" * 10_000}}) + "\n"
                          + json.dumps({"email": "m@x.com"}) + "\n")
    result = await arun_cli(["import", str(long_first), "--report", str(tmp_path / "long.report")], settings_env, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert [r["outcome"] for r in read_ndjson(tmp_path / "long.report")] == ["failed", "inserted"]
    assert "at most 65536" in read_ndjson(tmp_path / "long.report")[0]["errors"][0]["message"]


async def wait_state(client: httpx.AsyncClient, headers: dict[str, str], job_id: str, seconds: float = 60) -> dict[str, Any]:
    for _ in range(int(seconds / 0.05)):
        resp = await client.get(f"{IMPORTS}/{job_id}", headers=headers)
        if resp.json()["state"] not in ("queued", "running"):
            return resp.json()  # type: ignore[no-any-return]
        await asyncio.sleep(0.05)
    raise AssertionError(f"the import job is still {resp.json()['state']}: {resp.json()}")


async def test_api_upload_bad_values_fail_alone_and_the_rest_signs_in(
    client: httpx.AsyncClient, admin_headers: dict[str, str], app: Any, tmp_path: Path
) -> None:
    body = write_file(tmp_path / "users.ndjson").read_bytes()
    resp = await client.post(IMPORTS, headers=admin_headers, files={"file": ("users.ndjson", body)})
    assert resp.status_code == 202, resp.text
    job = await wait_state(client, admin_headers, resp.json()["id"])
    assert job["state"] == "completed" and job["counts"]["inserted"] == 2, job
    results = [json.loads(line) for line in (await client.get(f"{IMPORTS}/{job['id']}/results",
                                                                headers=admin_headers)).text.splitlines()]
    assert_outcomes(results)
    assert list((tmp_path / "imports-data").iterdir()) == []
    for email in ("ann@x.com", "bob@x.com"):
        await signs_in(app.state.authshift, client, email)


# ------------------------------------------------------------------ jobs that keep crashing

@pytest.fixture
async def break_user_writes(db_url: str) -> AsyncIterator[Callable[[], Awaitable[None]]]:
    """Installs a trigger that makes every insert of a user fail the way a broken database does
    (not a value refused: SQLSTATE P0001 on PostgreSQL, a constraint-kind abort on SQLite);
    removed after the test (the PostgreSQL database is shared by the session's tests)."""

    async def run(*statements: str) -> None:
        engine = create_engine(db_url)
        try:
            async with engine.begin() as conn:
                for statement in statements:
                    await conn.execute(sa.text(statement))
        finally:
            await engine.dispose()

    async def install() -> None:
        if db_url.startswith("postgresql"):
            await run("CREATE FUNCTION refuse_users() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'broken'; END $$ "
                      "LANGUAGE plpgsql",
                      "CREATE TRIGGER refuse_users BEFORE INSERT ON users FOR EACH ROW EXECUTE FUNCTION refuse_users()")
        else:
            await run("CREATE TRIGGER refuse_users BEFORE INSERT ON users BEGIN SELECT RAISE(ABORT, 'broken'); END")

    yield install
    if db_url.startswith("postgresql"):
        await run("DROP TRIGGER IF EXISTS refuse_users ON users", "DROP FUNCTION IF EXISTS refuse_users()")


async def job_rows(db_url: str) -> list[dict[str, Any]]:
    engine = create_engine(db_url)
    try:
        async with engine.connect() as conn:
            return [dict(r) for r in (await conn.execute(sa.select(import_jobs))).mappings()]
    finally:
        await engine.dispose()


async def test_a_cli_job_that_keeps_crashing_ends_failed(
    settings_env: dict[str, str], tmp_path: Path, break_user_writes: Callable[[], Awaitable[None]]
) -> None:
    url = settings_env["AUTHSHIFT_DATABASE_URL"]
    assert (await arun_cli(["db", "upgrade"], settings_env)).returncode == 0
    await break_user_writes()
    path = write_file(tmp_path / "users.ndjson")
    max_attempts = Settings().imports.max_attempts
    error = "RaiseError" if url.startswith("postgresql") else "IntegrityError"  # the error type, not its text
    for attempt in range(1, max_attempts + 1):
        run = await arun_cli(["import", str(path)], settings_env, cwd=tmp_path)
        assert run.returncode == 1 and "the import stopped unexpectedly" in run.stderr, run.stderr
        assert "Traceback" not in run.stderr
        [row] = await job_rows(url)
        assert row["state"] == "running" and row["attempts"] == attempt and row["error"].startswith(error)
    last = await arun_cli(["import", str(path)], settings_env, cwd=tmp_path)
    assert last.returncode == 1, last.stdout + last.stderr
    assert f"stopped {max_attempts} times in a row at its first batch" in last.stdout + last.stderr, last.stdout
    [row] = await job_rows(url)
    assert row["state"] == "failed" and f"last error: {error}" in row["error"]
    assert BCRYPT not in last.stdout + last.stderr + row["error"]


async def test_a_server_job_that_keeps_crashing_ends_failed(
    settings: Settings, tmp_path: Path, db_url: str, break_user_writes: Callable[[], Awaitable[None]]
) -> None:
    fast = settings.model_copy(update={"imports": settings.imports.model_copy(update={"poll_seconds": 0.05})})
    async with admin_api(fast, migrate=True) as (state, http, headers):
        await break_user_writes()
        body = write_file(tmp_path / "u.ndjson").read_bytes()
        resp = await http.post(IMPORTS, headers=headers, files={"file": ("u.ndjson", body)})
        assert resp.status_code == 202, resp.text
        job = await wait_state(http, headers, resp.json()["id"])
        assert job["state"] == "failed", job
        assert f"stopped {fast.imports.max_attempts} times in a row" in job["error"], job
        assert ("RaiseError" if db_url.startswith("postgresql") else "IntegrityError") in job["error"]
        await asyncio.sleep(0.3)  # claimed no more: still failed, attempts not counting up
        async with state.engine.connect() as conn:
            row = await jobs.get_job(conn, uuid.UUID(job["id"]))
        assert row["state"] == "failed" and row["attempts"] == fast.imports.max_attempts
        # its upload (password hashes) is deleted too
        for _ in range(100):
            if not list((tmp_path / "imports-data").iterdir()):
                break
            await asyncio.sleep(0.05)
        assert list((tmp_path / "imports-data").iterdir()) == []


async def test_a_record_the_database_refuses_fails_alone_in_its_batch(
    settings: Settings, backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The readers refuse the values known to break a database; one they would not know about
    (here a NUL, with the readers' check switched off) is refused by PostgreSQL in the middle of
    a batch: the batch is written again one record at a time, and only that record fails, with
    its line. (SQLite stores a NUL: no value that passed validation is refused by it.)"""
    if backend == "sqlite":
        pytest.skip("SQLite refuses no value that passed the record schema")
    monkeypatch.setattr(_stream, "unstorable", lambda obj: ())
    path = tmp_path / "u.ndjson"
    path.write_text(json.dumps({"email": "a@x.com"}) + "\n" + '{"email": "b@x.com", "name": "x\\u0000"}\n'
                    + json.dumps({"email": "c@x.com", "password": {"hash": BCRYPT}}) + "\n")
    async with app_state(settings) as state:
        summary, results = await run_import(state, path)
        assert summary.state == "completed", summary
        assert [(r["line"], r["outcome"]) for r in results] == [(1, "inserted"), (2, "failed"), (3, "inserted")]
        assert results[1]["errors"][0]["message"].startswith("the database refused this record ("), results[1]
        assert "record" not in results[1]  # not echoed: the report is stored in the same database
        assert await user_by_email(state, "c@x.com") is not None and await user_by_email(state, "b@x.com") is None
