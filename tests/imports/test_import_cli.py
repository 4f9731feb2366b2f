"""``authshift import`` run as a user runs it (a subprocess), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from authshift.migration.imports import jobs
from authshift.migration.imports.tables import import_jobs
from authshift.storage.db import create_engine
from authshift.storage.tables import identities, users
from tests.imports.helpers import BCRYPT, read_ndjson, summary_counts, write_ndjson
from tests.support.servers import arun_cli, authshift_env, run_cli

SECRET_HASH = "$2b$12$" + "S3cretSaltAndHashValueX" + "y" * 30


async def scalar(url: str, query: sa.Select) -> int:  # type: ignore[type-arg]
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return int((await conn.execute(query)).scalar_one())
    finally:
        await engine.dispose()


async def stored_results(url: str) -> list[dict]:  # type: ignore[type-arg]
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            job_id = (await conn.execute(sa.select(import_jobs.c.id).order_by(import_jobs.c.created_at.desc()))).scalar()
        return [r async for r in jobs.iter_results(engine, job_id)]
    finally:
        await engine.dispose()


def reader_processes(cwd: Path) -> list[int]:
    """Processes (spawned import readers) still running in ``cwd``."""
    found = []
    for pid in os.listdir("/proc"):
        if pid.isdigit() and int(pid) != os.getpid():
            try:
                if os.readlink(f"/proc/{pid}/cwd") == str(cwd):
                    found.append(int(pid))
            except OSError:
                pass
    return found


async def test_import_reports_every_record_and_reruns_safely(settings_env: dict[str, str], tmp_path: Path) -> None:
    path = write_ndjson(tmp_path / "users.ndjson", [
        {"email": "Foo@X.com", "password": {"hash": SECRET_HASH}, "given_name": "Foo"},
        '{"email": "broken',
        {"email": "foo@x.com"},
        {"email": "bar@x.com", "password": {"hash": "plain-secret-not-a-hash"}},
    ])
    report = tmp_path / "report.ndjson"
    first = await arun_cli(["import", str(path), "--report", str(report)], settings_env, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert summary_counts(first.stdout) == {"read": 4, "inserted": 1, "updated": 0, "skipped": 0, "failed": 3}
    assert f"report: {report}" in first.stdout and "completed" in first.stdout
    # failures are grouped by reason in the summary, each with the first line that gave it
    by_reason = first.stdout.split("failed, by reason:")[1].split("report:")[0]
    assert "      1  email: duplicate of line 1 (first: line 3)" in by_reason
    assert len([line for line in by_reason.splitlines() if "(first: line" in line]) == 3
    outcomes = read_ndjson(report)
    assert [(o["line"], o["outcome"]) for o in outcomes] == [(1, "inserted"), (2, "failed"), (3, "failed"), (4, "failed")]
    assert outcomes[2]["errors"] == [{"path": "email", "message": "duplicate of line 1"}]
    assert oct(report.stat().st_mode & 0o777) == "0o600"
    assert outcomes == await stored_results(settings_env["AUTHSHIFT_DATABASE_URL"])  # live report == the job's rows
    for text in (first.stdout, first.stderr, report.read_text()):
        assert SECRET_HASH not in text and "plain-secret-not-a-hash" not in text
    # the same file again: a new job, and nothing is imported twice
    second = await arun_cli(["import", str(path), "--report", str(report)], settings_env, cwd=tmp_path)
    assert second.returncode == 0 and summary_counts(second.stdout)["skipped"] == 1
    assert read_ndjson(report)[2]["errors"] == [{"path": "email", "message": "duplicate of line 1"}]
    assert await scalar(settings_env["AUTHSHIFT_DATABASE_URL"], sa.select(sa.func.count()).select_from(users)) == 1


async def test_dry_run_writes_nothing_and_upsert_then_updates(settings_env: dict[str, str], tmp_path: Path) -> None:
    url = settings_env["AUTHSHIFT_DATABASE_URL"]
    assert (await arun_cli(["users", "create", "--email", "foo@x.com"], settings_env)).returncode == 0
    path = write_ndjson(tmp_path / "u.ndjson", [{"email": "FOO@x.com", "given_name": "Foo"}, {"email": "new@x.com"}])
    dry = await arun_cli(["import", str(path), "--mode", "upsert", "--dry-run"], settings_env, cwd=tmp_path)
    assert dry.returncode == 0, dry.stderr
    assert "dry run (nothing written)" in dry.stdout
    would = {"read": 2, "would_insert": 1, "would_update": 1, "would_skip": 0, "failed": 0}
    assert summary_counts(dry.stdout) == would
    # the report says what would happen, and gives no id to a user that would be created
    reports = list((tmp_path / "authshift-data" / "reports").glob("import-dry-run-*.ndjson"))
    assert len(reports) == 1 and f"report: {reports[0]}" in dry.stdout
    dry_outcomes = read_ndjson(reports[0])
    assert [(o["outcome"], o["user_id"] is None) for o in dry_outcomes] == [("would_update", False), ("would_insert", True)]
    assert await scalar(url, sa.select(sa.func.count()).select_from(users)) == 1
    real = await arun_cli(["import", str(path), "--mode", "upsert"], settings_env, cwd=tmp_path)
    assert real.returncode == 0
    assert summary_counts(real.stdout) == {k.removeprefix("would_").replace("insert", "inserted").replace(
        "update", "updated").replace("skip", "skipped"): v for k, v in would.items()}
    # default reports go to the instance's data folder, not the working directory
    assert len(list((tmp_path / "authshift-data" / "reports").glob("import-0*.report.ndjson"))) == 1
    assert not list(tmp_path.glob("import-*"))
    got = json.loads((await arun_cli(["users", "list", "--json", "--email", "foo@x.com"], settings_env)).stdout)["users"][0]
    assert got["given_name"] == "Foo" and got["migration_state"] == "native"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "okta"], "unknown format"),
        (["--mode", "merge"], "--mode"),
        (["--identifier", "name"], "identifier"),
        (["--hash-config", "{tmp}/missing.txt"], "hash_config"),
        (["--format", "firebase"], "hash parameters"),
        (["--auth0-password-hashes", "{tmp}/u.ndjson"], "only used with the auth0 format"),
        (["--resume", "nope"], "not a job id"),
    ],
)
def test_bad_options_exit_2_and_write_nothing(settings_env: dict[str, str], tmp_path: Path, args: list[str], message: str) -> None:
    path = write_ndjson(tmp_path / "u.ndjson", [{"email": "a@x.com"}])
    fresh = tmp_path / "fresh.db"  # not even the schema is created
    env = {**settings_env, "AUTHSHIFT_DATABASE_URL": f"sqlite:///{fresh}"}
    result = run_cli(["import", str(path), *[a.format(tmp=tmp_path) for a in args]], env, cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in result.stderr
    assert not list(tmp_path.glob("import-*.ndjson")) and not fresh.exists()


def test_unreadable_file_and_empty_file(settings_env: dict[str, str], tmp_path: Path) -> None:
    missing = run_cli(["import", str(tmp_path / "nope.ndjson")], settings_env, cwd=tmp_path)
    assert missing.returncode == 2 and "not a readable file" in missing.stderr
    empty = tmp_path / "empty.ndjson"
    empty.write_text("\n")
    result = run_cli(["import", str(empty)], settings_env, cwd=tmp_path)
    assert result.returncode == 1 and "no records" in result.stdout
    dry = run_cli(["import", str(empty), "--dry-run"], settings_env, cwd=tmp_path)
    assert dry.returncode == 1 and "no records" in dry.stdout
    multiline = tmp_path / "object.json"
    multiline.write_text('{\n  "email": "a@x.com"\n}\n')
    whole = run_cli(["import", str(multiline)], settings_env, cwd=tmp_path)
    assert whole.returncode == 1 and "cannot be read" in (whole.stdout + whole.stderr)


async def test_killed_import_resumes_with_every_user_exactly_once(settings_env: dict[str, str], tmp_path: Path) -> None:
    total = 40_000
    path = write_ndjson(tmp_path / "big.ndjson", [
        {"email": f"user{n}@example.com", "external_id": f"ext-{n}", "password": {"hash": BCRYPT},
         "custom_attributes": {"n": n}} for n in range(total)
    ])
    # small batches, and the reader process even for this small file (it must die with the importer)
    env = {**settings_env, "AUTHSHIFT_IMPORTS__BATCH_SIZE": "500", "AUTHSHIFT_IMPORTS__READER_PROCESS_MIN_BYTES": "0"}
    url = settings_env["AUTHSHIFT_DATABASE_URL"]
    proc = subprocess.Popen([sys.executable, "-m", "authshift", "import", str(path)], env=authshift_env(env),
                            cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    engine = create_engine(url)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            async with engine.connect() as conn:
                done = (await conn.execute(sa.text("SELECT coalesce(max(last_index), 0) FROM import_jobs"))).scalar_one()
            if done >= 5_000:
                break
            time.sleep(0.1)
        assert proc.poll() is None, "the import finished before it could be killed: make the file bigger"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        await engine.dispose()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    deadline = time.monotonic() + 15  # its reader process notices and stops
    while time.monotonic() < deadline and reader_processes(tmp_path):
        time.sleep(0.2)
    assert not reader_processes(tmp_path)
    imported = await scalar(url, sa.select(sa.func.count()).select_from(users))
    assert 5_000 <= imported < total
    resumed = await arun_cli(["import", str(path), "--report", str(tmp_path / "r.ndjson")], env, cwd=tmp_path, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming import job" in resumed.stderr
    counts = summary_counts(resumed.stdout)
    assert counts == {"read": total, "inserted": total, "updated": 0, "skipped": 0, "failed": 0}
    assert await scalar(url, sa.select(sa.func.count()).select_from(users)) == total
    assert await scalar(url, sa.select(sa.func.count(sa.distinct(identities.c.value)))) == total
    report = read_ndjson(tmp_path / "r.ndjson")
    assert [o["line"] for o in report] == list(range(1, total + 1))
    assert {o["outcome"] for o in report} == {"inserted"}
