"""Benchmark: export N users to NDJSON through the real CLI, on SQLite and on PostgreSQL.

    PYTHONPATH=src python bench/bench_export.py --users 1000000 [--backends sqlite,postgres] [--no-secrets]

For each backend it creates a fresh database, writes N realistic users straight into the tables
(bench/population.py: one precomputed bcrypt hash shared by all, 2% with a TOTP factor), then runs
``python -m authshift export OUT --include-secrets`` in a child process and prints:

- users/s over the export's wall time (the CLI's own figure, which excludes process start);
- users per CPU-second: the child's CPU time less that of the same command selecting nobody
  (``--filter source=...`` matching no user: start-up, connection, audit) and, on PostgreSQL, the
  CPU time of the server processes serving the export's database (sampled from /proc every 20 ms),
  since the server composes the lines;
- the child's peak RSS (ru_maxrss from wait4);
- a floor measured in the same run, and the export/floor ratios.

The floor is the database handing over the same rows as plain text, with no JSON at all, written
to a file: PostgreSQL ``COPY table TO STDOUT`` of every table the export reads; SQLite the same
columns joined with tabs by ``printf`` through one cursor per table. It is what moving the data out
costs before anyone composes a record. (The floor before the export composed lines in the
database read the rows into Python and encoded them with ``json.dumps``; the export no longer
does either, and now runs faster than that.)
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import re
import secrets
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import asyncpg

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "src"))

from population import TABLE_COLUMNS, one_bcrypt_hash, populate_postgres, populate_sqlite  # noqa: E402

from authshift.security.secretbox import SecretBox  # noqa: E402
from authshift.storage.migrate import upgrade  # noqa: E402

PG_ADMIN = os.environ.get("AUTHSHIFT_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class ServerCpu:
    """CPU seconds of the PostgreSQL server processes connected to one database: their titles
    (``postgres: ... user DBNAME host(port) ...``) name it. Sampled every 20 ms; a process that
    ends between two samples loses at most 20 ms."""

    def __init__(self, database: str | None) -> None:
        self.database = database
        self.seen: dict[int, float] = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> ServerCpu:
        if self.database:
            self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        if self.thread.is_alive():
            self.thread.join()

    @property
    def seconds(self) -> float:
        return sum(self.seen.values())

    def _run(self) -> None:
        marker = f" {self.database} ".encode()
        while not self.stop.is_set():
            for pid in (int(p) for p in os.listdir("/proc") if p.isdigit()):
                try:
                    with open(f"/proc/{pid}/cmdline", "rb") as fh:
                        title = fh.read()
                    if not title.startswith(b"postgres:") or marker not in title:
                        continue
                    with open(f"/proc/{pid}/stat") as fh:
                        fields = fh.read().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                self.seen[pid] = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
            self.stop.wait(0.02)


def run_export(env: dict[str, str], out: Path, secrets_included: bool, database: str | None, *extra: str) -> dict[str, Any]:
    args = [sys.executable, "-m", "authshift", "export", str(out), *(["--include-secrets"] if secrets_included else []), *extra]
    child_env = {k: v for k, v in os.environ.items() if not k.startswith("AUTHSHIFT_")}
    child_env.update(env, PYTHONPATH=str(ROOT / "src"))
    started = time.perf_counter()
    with ServerCpu(database) as server:
        proc = subprocess.Popen(args, env=child_env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    stderr = proc.stderr.read() if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"export failed:\n{stderr}")
    match = re.search(r"exported (\d+) of (\d+) users .*?([\d.]+) s, ([\d,]+) users/s", " ".join(stderr.split()))
    if not match:
        raise SystemExit(f"unexpected export output:\n{stderr}")
    users, rate = int(match[2]), float(match[4].replace(",", ""))
    return {
        "users": users, "export_seconds": users / rate if rate else 0.0, "process_seconds": wall,
        "cpu_seconds": usage.ru_utime + usage.ru_stime, "server_cpu_seconds": server.seconds,
        "peak_rss_mb": usage.ru_maxrss / 1024, "bytes": out.stat().st_size,
    }


# --- floors: the same rows as plain text, no JSON ----------------------------------------------------

def floor_sqlite(path: str, out: Path) -> dict[str, float]:
    cpu0, started = time.process_time(), time.perf_counter()
    db = sqlite3.connect(path)
    users = 0
    with out.open("wb") as fh:
        for table, columns in TABLE_COLUMNS.items():
            cells = ", ".join(f'"{c}"' for c in columns)
            cursor = db.execute(f"SELECT CAST(printf('{chr(9).join(['%s'] * len(columns))}', {cells}) AS BLOB) FROM {table}")
            while rows := cursor.fetchmany(2000):
                lines = [row[0] for row in rows]
                lines.append(b"")
                fh.write(b"\n".join(lines))
                users += len(rows) if table == "users" else 0
    db.close()
    return {"users": users, "seconds": time.perf_counter() - started, "cpu_seconds": time.process_time() - cpu0,
            "server_cpu_seconds": 0.0}


async def _floor_pg(dsn: str, out: Path) -> dict[str, float]:
    conn = await asyncpg.connect(dsn)
    pid = await conn.fetchval("SELECT pg_backend_pid()")

    def server_cpu() -> float:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS

    try:
        cpu0, server0, started = time.process_time(), server_cpu(), time.perf_counter()
        with out.open("wb") as fh:
            async def sink(chunk: bytes) -> None:
                fh.write(chunk)

            async with conn.transaction(isolation="repeatable_read", readonly=True):
                for table in TABLE_COLUMNS:
                    await conn.copy_from_table(table, output=sink)
                users = await conn.fetchval("SELECT count(*) FROM users")
        return {"users": users, "seconds": time.perf_counter() - started, "cpu_seconds": time.process_time() - cpu0,
                "server_cpu_seconds": server_cpu() - server0}
    finally:
        await conn.close()


def floor_postgres(dsn: str, out: Path) -> dict[str, float]:
    return asyncio.run(_floor_pg(dsn, out))


# --- one backend --------------------------------------------------------------------------------------

def bench_backend(backend: str, users: int, secrets_included: bool, work: Path, password_hash: str,
                  keys: dict[str, str]) -> dict[str, Any]:
    totp_secret = SecretBox(base64.urlsafe_b64decode(keys["AUTHSHIFT_ENCRYPTION_KEY"]), "totp").encrypt(b"12345678901234567890")
    database: str | None = None
    if backend == "sqlite":
        path = work / "bench.db"
        url = f"sqlite:///{path}"
        populate = lambda: populate_sqlite(str(path), users, password_hash, totp_secret)  # noqa: E731
        floor = lambda out: floor_sqlite(str(path), out)  # noqa: E731
        cleanup = lambda: None  # noqa: E731
    else:
        database = f"authshift_bench_export_{os.getpid()}"
        url = f"{PG_ADMIN.rsplit('/', 1)[0]}/{database}"
        asyncio.run(_pg_admin(f'CREATE DATABASE "{database}"'))
        populate = lambda: populate_postgres(url, users, password_hash, totp_secret)  # noqa: E731
        floor = lambda out: floor_postgres(url, out)  # noqa: E731
        cleanup = lambda: asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))  # noqa: E731
    try:
        upgrade(url)
        started = time.perf_counter()
        populate()
        populate_seconds = time.perf_counter() - started
        env = {"AUTHSHIFT_DATABASE_URL": url, "AUTHSHIFT_DATA_DIR": str(work / "data"), **keys}
        result = run_export(env, work / f"{backend}.ndjson", secrets_included, database)
        nobody = run_export(env, work / "nobody.ndjson", secrets_included, database, "--filter", "source=nobody-has-this")
        result["startup_cpu_seconds"] = nobody["cpu_seconds"] + nobody["server_cpu_seconds"]
        floor_result = floor(work / f"{backend}.floor.txt")
        assert floor_result["users"] == users == result["users"], (floor_result["users"], users, result["users"])
        result.update(backend=backend, populate_seconds=populate_seconds, floor=floor_result)
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
    n, floor = r["users"], r["floor"]
    cpu = r["cpu_seconds"] + r["server_cpu_seconds"] - r["startup_cpu_seconds"]
    rate, cpu_rate = n / r["export_seconds"], n / cpu
    floor_rate, floor_cpu_rate = n / floor["seconds"], n / (floor["cpu_seconds"] + floor["server_cpu_seconds"])
    server = f" + server {r['server_cpu_seconds']:.1f} s" if r["backend"] == "postgres" else ""
    floor_server = f" + server {floor['server_cpu_seconds']:.1f} s" if r["backend"] == "postgres" else ""
    print(f"[{r['backend']}] {n:,} users (populated in {r['populate_seconds']:.1f} s), {r['bytes'] / 1e6:.0f} MB of NDJSON, "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"  export: {rate:,.0f} users/s (wall {r['export_seconds']:.2f} s; process with start-up {r['process_seconds']:.1f} s), "
          f"{cpu_rate:,.0f} users per CPU-second (CPU: export process {r['cpu_seconds']:.1f} s{server}, "
          f"less {r['startup_cpu_seconds']:.1f} s for the same command exporting nobody), "
          f"peak RSS {r['peak_rss_mb']:.0f} MB")
    print(f"  floor (the database hands over the same rows as plain text, no JSON): {floor_rate:,.0f} users/s, "
          f"{floor_cpu_rate:,.0f} users per CPU-second (CPU: {floor['cpu_seconds']:.1f} s{floor_server})")
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
    keys = {name: base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
            for name in ("AUTHSHIFT_SECRET_KEY", "AUTHSHIFT_ENCRYPTION_KEY")}
    print(f"bench_export: {args.users:,} users, secrets {'excluded' if args.no_secrets else 'included'}, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    for backend in args.backends.split(","):
        with tempfile.TemporaryDirectory(prefix="authshift-bench-") as tmp:
            report(bench_backend(backend, args.users, not args.no_secrets, Path(tmp), password_hash, keys))


if __name__ == "__main__":
    main()
