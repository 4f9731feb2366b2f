"""Benchmark: export N users to NDJSON through the real CLI, on SQLite and on PostgreSQL.

    PYTHONPATH=src python bench/bench_export.py --users 1000000 [--backends sqlite,postgres] [--no-secrets]

For each backend it creates a fresh database, writes N realistic users straight into the tables
(bench/population.py: one precomputed bcrypt hash shared by all), then runs
``python -m authshift export OUT --include-secrets`` in a child process and prints:

- users/s over the export's wall time (the CLI's own timer, which excludes process start) and
  over the child's CPU time (the machine is shared: CPU time is the steadier figure);
- the child's peak RSS (ru_maxrss from wait4);
- a floor measured in the same run: the same rows read with the raw driver in the same keyset
  pages and written with ``json.dumps`` (no records, no authshift), and export/floor ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import asyncpg

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "src"))

from population import one_bcrypt_hash, populate_postgres, populate_sqlite  # noqa: E402

from authshift.storage.migrate import upgrade  # noqa: E402

PG_ADMIN = os.environ.get("AUTHSHIFT_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
PAGE = 5000
TABLES = ("identities", "passwords", "federated_identities", "totp_factors", "otp_factors")


def run_export(env: dict[str, str], out: Path, secrets: bool) -> dict[str, Any]:
    args = [sys.executable, "-m", "authshift", "export", str(out), *(["--include-secrets"] if secrets else [])]
    child_env = {k: v for k, v in os.environ.items() if not k.startswith("AUTHSHIFT_")}
    child_env.update(env, PYTHONPATH=str(ROOT / "src"))
    started = time.perf_counter()
    proc = subprocess.Popen(args, env=child_env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    stderr = proc.stderr.read() if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"export failed:\n{stderr}")
    match = re.search(r"exported (\d+) of (\d+) users .*?([\d.]+) s,", " ".join(stderr.split()))
    if not match:
        raise SystemExit(f"unexpected export output:\n{stderr}")
    return {
        "users": int(match[2]), "export_seconds": float(match[3]), "process_seconds": wall,
        "cpu_seconds": usage.ru_utime + usage.ru_stime, "peak_rss_mb": usage.ru_maxrss / 1024, "bytes": out.stat().st_size,
    }


# --- floors: the same rows, raw driver, json.dumps ---------------------------------------------------

def floor_sqlite(path: str, out: Path) -> tuple[int, float, float]:
    import sqlite3

    cpu0, started = time.process_time(), time.perf_counter()
    db = sqlite3.connect(path)
    n, after = 0, ""
    with out.open("w") as fh:
        while True:
            users = db.execute("SELECT * FROM users WHERE id > ? ORDER BY id LIMIT ?", (after, PAGE)).fetchall()
            if not users:
                break
            last = users[-1][0]
            related = [db.execute(f"SELECT * FROM {t} WHERE user_id > ? AND user_id <= ?", (after, last)).fetchall() for t in TABLES]
            for row in users:
                fh.write(json.dumps(row, default=str) + "\n")
            for rows in related:
                for row in rows:
                    fh.write(json.dumps(row, default=str) + "\n")
            n += len(users)
            after = last
    db.close()
    return n, time.perf_counter() - started, time.process_time() - cpu0


async def _floor_pg(dsn: str, out: Path) -> int:
    conn = await asyncpg.connect(dsn)
    n = 0
    try:
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            after = None
            with out.open("w") as fh:
                while True:
                    if after is None:
                        users = await conn.fetch("SELECT * FROM users ORDER BY id LIMIT $1", PAGE)
                    else:
                        users = await conn.fetch("SELECT * FROM users WHERE id > $1 ORDER BY id LIMIT $2", after, PAGE)
                    if not users:
                        break
                    last = users[-1]["id"]
                    low = after or "00000000-0000-0000-0000-000000000000"
                    for table in TABLES:
                        for row in await conn.fetch(f"SELECT * FROM {table} WHERE user_id > $1 AND user_id <= $2", low, last):
                            fh.write(json.dumps(list(row.values()), default=str) + "\n")
                    for row in users:
                        fh.write(json.dumps(list(row.values()), default=str) + "\n")
                    n += len(users)
                    after = last
    finally:
        await conn.close()
    return n


def floor_postgres(dsn: str, out: Path) -> tuple[int, float, float]:
    cpu0, started = time.process_time(), time.perf_counter()
    n = asyncio.run(_floor_pg(dsn, out))
    return n, time.perf_counter() - started, time.process_time() - cpu0


# --- one backend --------------------------------------------------------------------------------------

def bench_backend(backend: str, users: int, secrets: bool, work: Path, password_hash: str) -> dict[str, Any]:
    if backend == "sqlite":
        path = work / "bench.db"
        url = f"sqlite:///{path}"
        populate = lambda: populate_sqlite(str(path), users, password_hash)  # noqa: E731
        floor = lambda out: floor_sqlite(str(path), out)  # noqa: E731
        cleanup = lambda: None  # noqa: E731
    else:
        name = f"authshift_bench_export_{os.getpid()}"
        url = f"{PG_ADMIN.rsplit('/', 1)[0]}/{name}"
        asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
        populate = lambda: populate_postgres(url, users, password_hash)  # noqa: E731
        floor = lambda out: floor_postgres(url, out)  # noqa: E731
        cleanup = lambda: asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))  # noqa: E731
    try:
        upgrade(url)
        started = time.perf_counter()
        populate()
        populate_seconds = time.perf_counter() - started
        env = {"AUTHSHIFT_DATABASE_URL": url, "AUTHSHIFT_SECRETS_FILE": str(work / "secrets.json"),
               "AUTHSHIFT_DATA_DIR": str(work / "data")}
        result = run_export(env, work / f"{backend}.ndjson", secrets)
        n, floor_wall, floor_cpu = floor(work / f"{backend}.floor.ndjson")
        assert n == users == result["users"], (n, users, result["users"])
        result.update(backend=backend, populate_seconds=populate_seconds, floor_seconds=floor_wall, floor_cpu_seconds=floor_cpu)
        return result
    finally:
        cleanup()


async def _pg_admin(sql: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def report(r: dict[str, Any]) -> None:
    n = r["users"]
    rate, cpu_rate = n / r["export_seconds"], n / r["cpu_seconds"]
    floor_rate, floor_cpu_rate = n / r["floor_seconds"], n / r["floor_cpu_seconds"]
    print(f"[{r['backend']}] {n:,} users (populated in {r['populate_seconds']:.1f} s), {r['bytes'] / 1e6:.0f} MB of NDJSON")
    print(f"  export: {rate:,.0f} users/s (wall {r['export_seconds']:.1f} s; process with start-up {r['process_seconds']:.1f} s), "
          f"{cpu_rate:,.0f} users per CPU-second (start-up included), peak RSS {r['peak_rss_mb']:.0f} MB")
    print(f"  floor (raw driver + json.dumps of the same rows): {floor_rate:,.0f} users/s, {floor_cpu_rate:,.0f} users per CPU-second")
    print(f"  ratio export/floor: {rate / floor_rate:.2f} (wall), {cpu_rate / floor_cpu_rate:.2f} (CPU)")
    print(f"  target >= 100,000 users/s: {'met' if rate >= 100_000 else 'NOT met'}; peak RSS < 300 MB: "
          f"{'met' if r['peak_rss_mb'] < 300 else 'NOT met'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--no-secrets", action="store_true", help="export without --include-secrets")
    args = parser.parse_args()
    password_hash = one_bcrypt_hash()
    print(f"bench_export: {args.users:,} users, secrets {'excluded' if args.no_secrets else 'included'}, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    for backend in args.backends.split(","):
        with tempfile.TemporaryDirectory(prefix="authshift-bench-") as tmp:
            report(bench_backend(backend, args.users, not args.no_secrets, Path(tmp), password_hash))


if __name__ == "__main__":
    main()
