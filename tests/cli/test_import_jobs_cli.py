"""``authshift imports list|show|cancel`` run as a script or a person runs them (a subprocess),
on SQLite and PostgreSQL: what they print equals the database's rows and the admin API's view."""

from __future__ import annotations

import getpass
import json
import uuid
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from authshift.migration.imports import jobs
from authshift.migration.imports.tables import import_jobs
from authshift.state import AppState
from authshift.storage.tables import audit_log
from tests.imports.helpers import write_ndjson
from tests.support.servers import arun_cli, run_cli

RECORDS = [{"email": "ada@x.com"}, '{"email": "broken', {"email": "ada@x.com"}, {"email": "grace@x.com"}]


def imported(settings_env: dict[str, str], tmp_path: Path) -> str:
    """Run ``authshift import`` on a file with two bad records; the job's id."""
    path = write_ndjson(tmp_path / "users.ndjson", RECORDS)
    done = run_cli(["import", str(path)], settings_env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    listed = json.loads(run_cli(["imports", "list", "--json"], settings_env).stdout)["imports"]
    assert len(listed) == 1
    return str(listed[0]["id"])


async def job_row(state: AppState, job_id: str) -> dict[str, Any]:
    async with state.engine.connect() as conn:
        return dict((await conn.execute(sa.select(import_jobs).where(import_jobs.c.id == uuid.UUID(job_id)))).mappings().one())


async def test_list_and_show_print_the_jobs_counts(settings_env: dict[str, str], tmp_path: Path, state: AppState) -> None:
    job_id = imported(settings_env, tmp_path)
    row = await job_row(state, job_id)
    assert (row["records_read"], row["inserted"], row["failed"]) == (4, 2, 2)
    assert row["bytes_read"] == row["file_size"] > 0  # the last batch read the whole file

    shown = json.loads((await arun_cli(["imports", "show", job_id, "--json"], settings_env)).stdout)
    assert shown["counts"] == {"read": 4, "inserted": 2, "updated": 0, "skipped": 0, "failed": 2}
    assert shown["progress"] == {"bytes_read": row["file_size"], "bytes_total": row["file_size"],
                                 "percent": 100.0, "seconds_left": 0}
    text = (await arun_cli(["imports", "show", job_id], settings_env)).stdout
    assert f"import job {job_id}" in text and "read 4, inserted 2, updated 0, skipped 0, failed 2" in text
    assert "users.ndjson" in text and "completed" in text

    for columns in ("80", "60"):  # a terminal that wide: ids whole, nothing past the edge
        table = (await arun_cli(["imports", "list"], {**settings_env, "COLUMNS": columns})).stdout
        assert max(len(line) for line in table.splitlines()) <= int(columns)
        assert job_id in table and "completed" in table.split()
    wide = (await arun_cli(["imports", "list"], settings_env)).stdout.splitlines()
    assert wide[0].split() == ["id", "state", "file", "read", "failed"]
    assert wide[1].split() == [job_id, "completed", "users.ndjson", "4", "2"]


async def test_cancel_stops_a_queued_job_and_is_audited(settings_env: dict[str, str], tmp_path: Path,
                                                        state: AppState) -> None:
    upload = write_ndjson(tmp_path / "queued.ndjson", [{"email": "q@x.com"}])
    async with state.engine.begin() as conn:  # an uploaded job no server has picked up yet
        job_id = str(await jobs.create_job(
            conn, origin="api", created_by="admin_key:test", options={"format": "native"}, file_path=str(upload),
            file_name=upload.name, file_digest="0" * 64, file_size=upload.stat().st_size))
    listed = (await arun_cli(["imports", "list"], settings_env)).stdout
    assert job_id in listed and "queued" in listed

    cancelled = await arun_cli(["imports", "cancel", job_id], settings_env)
    assert cancelled.returncode == 0, cancelled.stderr
    assert f"cancelled import job {job_id}" in cancelled.stdout
    assert (await job_row(state, job_id))["state"] == "cancelled"
    async with state.engine.connect() as conn:
        audit = (await conn.execute(sa.select(audit_log.c.actor, audit_log.c.action, audit_log.c.target))).all()
    assert [tuple(a) for a in audit] == [(f"cli:{getpass.getuser()}", "import.cancelled", job_id)]

    again = await arun_cli(["imports", "cancel", job_id], settings_env)
    assert again.returncode == 1 and f"import job {job_id} is already cancelled" in again.stderr


def test_cancel_refuses_finished_unknown_and_malformed_jobs(settings_env: dict[str, str], tmp_path: Path) -> None:
    job_id = imported(settings_env, tmp_path)
    finished = run_cli(["imports", "cancel", job_id], settings_env)
    assert finished.returncode == 1 and f"import job {job_id} is already completed" in finished.stderr
    unknown = run_cli(["imports", "cancel", "01234567-89ab-7def-8123-456789abcdef"], settings_env)
    assert unknown.returncode == 1 and "no import job with id 01234567-89ab-7def-8123-456789abcdef" in unknown.stderr
    for command in (["cancel"], ["show"]):
        malformed = run_cli(["imports", *command, "job-1"], settings_env)
        assert malformed.returncode == 2 and "'job-1' is not a job id" in malformed.stderr
    missing = run_cli(["imports", "show", "01234567-89ab-7def-8123-456789abcdef"], settings_env)
    assert missing.returncode == 1 and "no import job with id" in missing.stderr


def test_a_binary_hash_config_file_is_refused_with_the_reason(settings_env: dict[str, str], tmp_path: Path) -> None:
    path = write_ndjson(tmp_path / "users.ndjson", [{"email": "a@x.com"}])
    archive = tmp_path / "hash-config.zip"
    archive.write_bytes(b"PK\x03\x04\x14\x00\x00\x00\x00\x00P\xa7;]C\xbe\xb7\xe8")  # not text: was a crash (500 in the API)
    refused = run_cli(["import", str(path), "--format", "firebase", "--hash-config", str(archive)], settings_env)
    assert refused.returncode == 2 and "not a text file (UTF-8)" in refused.stderr
    assert json.loads(run_cli(["imports", "list", "--json"], settings_env).stdout)["imports"] == []


async def test_the_cli_creates_and_audits_its_job_through_the_one_service(settings_env: dict[str, str],
                                                                         tmp_path: Path, state: AppState) -> None:
    """``authshift import`` makes its job where the admin API makes an upload's (import_job_service):
    one ``import.created`` entry per job. A finished job is not resumed: the same file again is a
    new job (whose records are skipped)."""
    first = imported(settings_env, tmp_path)
    path = tmp_path / "users.ndjson"
    again = await arun_cli(["import", str(path)], settings_env, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    listed = json.loads((await arun_cli(["imports", "list", "--json"], settings_env)).stdout)["imports"]
    second = listed[0]["id"]
    assert [j["id"] for j in listed] == [second, first] and listed[0]["counts"]["inserted"] == 0
    async with state.engine.connect() as conn:
        audit = (await conn.execute(sa.select(audit_log.c.actor, audit_log.c.action, audit_log.c.target,
                                              audit_log.c.details).order_by(audit_log.c.at, audit_log.c.id))).all()
    actor = f"cli:{getpass.getuser()}"
    assert [tuple(a[:3]) for a in audit] == [(actor, "import.created", first), (actor, "import.created", second)]
    assert audit[0].details == {"file": "users.ndjson", "size": path.stat().st_size, "format": "native",
                                "mode": "insert", "identifier": "email", "dry_run": False, "source": None}
    assert (await job_row(state, first))["created_by"] == actor


async def test_resuming_a_failed_job_by_its_id_is_audited(settings_env: dict[str, str], tmp_path: Path,
                                                          state: AppState) -> None:
    """``authshift import FILE --resume JOB_ID`` runs a failed job again: recorded as the admin
    API's resume is (``import.resumed``, with the line it continues after)."""
    from authshift.migration.imports.service import JobFile
    from authshift.migration.imports.source import ImportOptions

    path = write_ndjson(tmp_path / "users.ndjson", [{"email": "ada@x.com"}, {"email": "grace@x.com"}])
    source = JobFile.of(path)
    async with state.engine.begin() as conn:
        job_id = await jobs.create_job(
            conn, origin="cli", created_by="cli:someone", options=ImportOptions().as_json(), file_path=str(path),
            file_name=source.name, file_digest=source.sha256, file_size=source.size)
        await conn.execute(import_jobs.update().where(import_jobs.c.id == job_id).values(state="failed", error="x"))
    done = await arun_cli(["import", str(path), "--resume", str(job_id)], settings_env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    row = await job_row(state, str(job_id))
    assert (row["state"], row["inserted"]) == ("completed", 2)
    async with state.engine.connect() as conn:
        audit = (await conn.execute(sa.select(audit_log.c.actor, audit_log.c.action, audit_log.c.target,
                                              audit_log.c.details))).all()
    assert [tuple(a) for a in audit] == [(f"cli:{getpass.getuser()}", "import.resumed", str(job_id), {"after_line": 0})]
