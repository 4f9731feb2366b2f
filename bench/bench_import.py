"""Benchmark: bulk import of N synthetic users through the real CLI, on SQLite and PostgreSQL.

Each user has an email, names, a bcrypt hash (one real hash per 1,000 users, reused: hashing is
not what is measured), three custom attributes and an external_id. For each backend the script
runs ``python -m authshift import FILE`` in a child process on a fresh database and prints:

- users/s of the whole command (reading, validating, classifying, writing, and the report),
- users/s of the job itself (the job's started_at -> finished_at),
- the child's peak RSS (``os.wait4`` rusage of that child: ru_maxrss, which also covers its
  reader process; Linux counts the parent's size at fork too, so this script stays small while
  it starts the child) and its CPU time per user (user + system, the command and its reader),
- the floor: a raw bulk insert of the same rows (users, identities, passwords) into the same
  tables of another fresh database, in batches of the same size (stdlib sqlite3 executemany /
  asyncpg COPY), measured in the same run, and the ratio of the import to it.

Usage:
    PYTHONPATH=src /work/venv/bin/python bench/bench_import.py --users 100000
    PYTHONPATH=src /work/venv/bin/python bench/bench_import.py --users 1000000 --backends postgres
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import bcrypt

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from authshift.ids import uuid7  # noqa: E402
from authshift.storage.migrate import upgrade  # noqa: E402

PG_ADMIN = os.environ.get("AUTHSHIFT_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
COUNTRIES = ["FR", "DE", "US", "GB", "JP", "BR", "IN", "NG"]


def generate(path: Path, n: int) -> None:
    hashes: list[str] = []
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            if i % 1000 == 0:
                hashes.append(bcrypt.hashpw(f"password-{i}".encode(), bcrypt.gensalt(rounds=4)).decode())
            rec = {
                "external_id": f"legacy-{i:08d}",
                "email": f"user{i}@example{i % 97}.com",
                "email_verified": i % 3 != 0,
                "given_name": f"Given{i % 1000}",
                "family_name": f"Family{i % 5000}",
                "name": f"Given{i % 1000} Family{i % 5000}",
                "password": {"hash": hashes[-1]},
                "custom_attributes": {"plan": ("free", "pro", "team")[i % 3], "tier": i % 5,
                                      "signup_country": COUNTRIES[i % len(COUNTRIES)]},
                "created_at": "2021-06-01T12:00:00Z",
            }
            fh.write(json.dumps(rec, separators=(",", ":")) + "\n")


def child_env(database_url: str, workdir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTHSHIFT_")}
    env.update({
        "PYTHONPATH": str(ROOT / "src"),
        "AUTHSHIFT_DATABASE_URL": database_url,
        "AUTHSHIFT_SECRET_KEY": base64.urlsafe_b64encode(b"b" * 32).decode(),
        "AUTHSHIFT_ENCRYPTION_KEY": base64.urlsafe_b64encode(b"c" * 32).decode(),
        "AUTHSHIFT_SECRETS_FILE": str(workdir / "secrets.json"),
        "AUTHSHIFT_LOG_LEVEL": "warning",
    })
    return env


def run_import(database_url: str, data: Path, workdir: Path) -> tuple[float, int, float, str]:
    """Run the CLI; returns (seconds, peak RSS in bytes, CPU seconds of the command and its reader, stdout)."""
    out, err = workdir / "stdout.txt", workdir / "stderr.txt"
    with out.open("w") as so, err.open("w") as se:
        start = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "authshift", "import", str(data), "--report", str(workdir / "report.ndjson")],
            env=child_env(database_url, workdir), cwd=workdir, stdout=so, stderr=se,
        )
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"import failed ({proc.returncode}):\n{out.read_text()}\n{err.read_text()[-3000:]}")
    return seconds, usage.ru_maxrss * 1024, usage.ru_utime + usage.ru_stime, out.read_text()


def floor_rows(data: Path, batch: int) -> Iterator[tuple[list[tuple[Any, ...]], ...]]:
    """The rows a plain bulk load writes for each user (users, identities, passwords), batch by batch.

    Only the database calls are timed, so building these rows is not part of the floor. The ids
    are time-ordered (UUIDv7) like the ones the import gives: with random (v4) ids every insert
    lands on a random page of the primary-key indexes, and SQLite's floor was three times slower.
    """
    now = datetime.now(UTC)
    users, idents, pws = [], [], []
    with data.open() as fh:
        for line in fh:
            r = json.loads(line)
            uid = uuid7()
            users.append((uid, now, now, False, r["given_name"], r["family_name"], r["name"],
                          json.dumps(r["custom_attributes"]), "[]", "[]", r["external_id"], "import", "imported"))
            idents.append((uuid7(), uid, "email", r["email"].lower(), r["email"], r["email_verified"], now))
            pws.append((uid, "bcrypt", r["password"]["hash"], False, now))
            if len(users) == batch:
                yield users, idents, pws
                users, idents, pws = [], [], []
    if users:
        yield users, idents, pws


USER_COLS = ["id", "created_at", "updated_at", "disabled", "given_name", "family_name", "name", "custom_attributes",
             "roles", "groups", "external_id", "source", "migration_state"]
IDENT_COLS = ["id", "user_id", "kind", "value", "raw", "verified", "created_at"]
PW_COLS = ["user_id", "format", "value", "must_change", "updated_at"]
TABLES = [("users", USER_COLS), ("identities", IDENT_COLS), ("passwords", PW_COLS)]


def sqlite_floor(db: Path, batches: Iterator[tuple[list[tuple[Any, ...]], ...]]) -> float:
    def sqlite_value(v: Any) -> Any:
        if isinstance(v, uuid.UUID):
            return v.hex
        if isinstance(v, datetime):
            return v.strftime("%Y-%m-%d %H:%M:%S.%f")
        return v

    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    seconds = 0.0
    for batch in batches:
        converted = [[tuple(sqlite_value(v) for v in row) for row in rows] for rows in batch]
        start = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        for (table, cols), rows in zip(TABLES, converted, strict=True):
            marks = ",".join("?" * len(cols))
            conn.executemany(f"INSERT INTO {table} ({','.join(cols)}) VALUES ({marks})", rows)
        conn.execute("COMMIT")
        seconds += time.perf_counter() - start
    conn.close()
    return seconds


async def pg_floor(dsn: str, batches: Iterator[tuple[list[tuple[Any, ...]], ...]]) -> float:
    conn = await asyncpg.connect(dsn)
    seconds = 0.0
    try:
        for batch in batches:
            start = time.perf_counter()
            async with conn.transaction():
                for (table, cols), rows in zip(TABLES, batch, strict=True):
                    await conn.copy_records_to_table(table, records=rows, columns=cols)
            seconds += time.perf_counter() - start
        return seconds
    finally:
        await conn.close()


async def pg_admin(sql: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def pg_url(name: str) -> str:
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name


async def job_seconds_pg(dsn: str) -> float:
    conn = await asyncpg.connect(dsn)
    try:
        row = await conn.fetchrow("SELECT started_at, finished_at FROM import_jobs")
        return (row["finished_at"] - row["started_at"]).total_seconds()
    finally:
        await conn.close()


def job_seconds_sqlite(db: Path) -> float:
    conn = sqlite3.connect(db)
    started, finished = conn.execute("SELECT started_at, finished_at FROM import_jobs").fetchone()
    conn.close()
    return (datetime.fromisoformat(finished) - datetime.fromisoformat(started)).total_seconds()


def report(name: str, n: int, seconds: float, job: float, rss: int, cpu: float, floor: float) -> None:
    rate, job_rate, floor_rate = n / seconds, n / job, n / floor
    print(f"{name:<10} users={n:>9}  command {seconds:7.1f}s {rate:>9,.0f} users/s  "
          f"job {job:7.1f}s {job_rate:>9,.0f} users/s  peak RSS {rss / 2**20:6.0f} MB  "
          f"CPU {cpu / n * 1e6:5.0f} us/user  "
          f"floor {floor_rate:>9,.0f} users/s  ratio {job_rate / floor_rate:.2f} (command {rate / floor_rate:.2f})",
          flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--batch", type=int, default=5000, help="the floor's batch size (the import's default)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="authshift-bench-import-"))
    try:
        data = work / "users.ndjson"
        t = time.perf_counter()
        generate(data, args.users)
        print(f"generated {args.users} users ({data.stat().st_size / 2**20:.0f} MB) in {time.perf_counter() - t:.1f}s",
              flush=True)
        for backend in args.backends.split(","):
            if backend == "sqlite":
                db, floor_db = work / "import.db", work / "floor.db"
                upgrade(f"sqlite:///{db}")
                upgrade(f"sqlite:///{floor_db}")
                seconds, rss, cpu, _ = run_import(f"sqlite:///{db}", data, work)
                report("sqlite", args.users, seconds, job_seconds_sqlite(db), rss, cpu,
                       sqlite_floor(floor_db, floor_rows(data, args.batch)))
            elif backend == "postgres":
                name, floor_name = f"authshift_bench_{os.getpid()}", f"authshift_bench_floor_{os.getpid()}"
                for db_name in (name, floor_name):
                    asyncio.run(pg_admin(f'CREATE DATABASE "{db_name}"'))
                try:
                    upgrade(pg_url(name))
                    upgrade(pg_url(floor_name))
                    seconds, rss, cpu, _ = run_import(pg_url(name), data, work)
                    job = asyncio.run(job_seconds_pg(pg_url(name)))
                    floor = asyncio.run(pg_floor(pg_url(floor_name), floor_rows(data, args.batch)))
                    report("postgres", args.users, seconds, job, rss, cpu, floor)
                finally:
                    for db_name in (name, floor_name):
                        asyncio.run(pg_admin(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))
            else:
                raise SystemExit(f"unknown backend {backend}")
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
