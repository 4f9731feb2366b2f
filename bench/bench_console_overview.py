"""Benchmark: the console's Overview page on PostgreSQL with N users (target: under 1 s at 1,000,000).

    PYTHONPATH=src python bench/bench_console_overview.py --users 1000000

It creates a fresh database, writes N realistic users straight into the tables (bench/population.py),
gives imported users a readiness row (one in ten ``lazy``), and adds a month of ``user.migrated``
events (one user in twenty migrated over 30 days, half of them in a cohort) and a webhook backlog,
then VACUUM ANALYZE (what autovacuum does on a live database). Then it prints:

- the snapshot round (console/snapshots.py: the background job that aggregates every user, every
  ``[console] snapshot_minutes``; not part of a page view);
- the Overview's render time: ``GET /console/`` through the real application (ASGI, in process)
  with a real operator's console session, median of 5 after one warm-up;
- the floor, measured in the same run: ``SELECT count(*) FROM users`` (median of 5), the least any
  page that counts the users costs, and the ratio of the page to it.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import secrets
import statistics
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

from population import one_bcrypt_hash, populate_postgres  # noqa: E402

from authshift.security.secretbox import SecretBox  # noqa: E402
from authshift.storage.migrate import upgrade  # noqa: E402

PG_ADMIN = os.environ.get("AUTHSHIFT_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
RUNS = 5


async def _pg(dsn: str, *statements: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        for sql in statements:
            await conn.execute(sql)
    finally:
        await conn.close()


MIGRATION_HISTORY = """
INSERT INTO user_readiness (user_id, readiness, family, family_named, updated_at)
  SELECT id, CASE WHEN abs(hashtext(id::text)) % 10 = 0 THEN 'lazy' ELSE 'ready' END, 'bcrypt', false, now()
  FROM users WHERE migration_state <> 'native';
INSERT INTO events (id, type, occurred_at, subject, data, dispatched_at)
  SELECT gen_random_uuid(), 'user.migrated', now() - (random() * interval '30 days'), id::text,
         jsonb_build_object('via', (ARRAY['password', 'legacy', 'token_exchange'])[1 + abs(hashtext(id::text)) % 3])
           || CASE WHEN abs(hashtext(id::text)) % 2 = 0 THEN jsonb_build_object('cohort', 'beta') ELSE '{}'::jsonb END,
         now()
  FROM users WHERE abs(hashtext(id::text || 'm')) % 20 = 0;
INSERT INTO events (id, type, occurred_at, subject, data)
  SELECT ('00000000-0000-7000-8000-' || lpad(g::text, 12, '0'))::uuid, 'user.updated', now(), NULL, '{}'
  FROM generate_series(1, 2000) g;
INSERT INTO deliveries (id, event_id, target, subject, event_type, state, attempts, next_attempt_at, created_at)
  SELECT gen_random_uuid(), ('00000000-0000-7000-8000-' || lpad(g::text, 12, '0'))::uuid, 'legacy-writeback', NULL,
         'user.updated', CASE WHEN g % 10 = 0 THEN 'dead' ELSE 'pending' END, 0, now(), now()
  FROM generate_series(1, 2000) g;
"""


async def measure(url: str, keys: dict[str, str], work: Path) -> dict[str, Any]:
    os.environ.update({"AUTHSHIFT_DATABASE_URL": url, "AUTHSHIFT_DATA_DIR": str(work / "data"),
                       "AUTHSHIFT_SECRETS_FILE": str(work / "secrets.json"), "AUTHSHIFT_LOG_LEVEL": "warning", **keys})
    import httpx
    import sqlalchemy as sa

    from authshift.app import create_app
    from authshift.config import load_settings
    from authshift.console.sessions import COOKIE_NAME, start_session
    from authshift.console.snapshots import take_snapshot
    from authshift.console.tables import console_operators
    from authshift.storage.types import utcnow

    app = create_app(load_settings(), background=False)
    async with app.router.lifespan_context(app):
        state = app.state.authshift
        started = time.perf_counter()
        await take_snapshot(state.engine)
        snapshot_seconds = time.perf_counter() - started
        async with state.engine.begin() as conn:
            operator = (await conn.execute(sa.text("SELECT id FROM users WHERE NOT disabled ORDER BY id LIMIT 1"))).scalar_one()
            await conn.execute(console_operators.insert().values(user_id=operator, granted_at=utcnow(), granted_by="bench"))
            token = await start_session(conn, operator, state.settings.console)
        floor: list[float] = []
        for _ in range(RUNS):
            async with state.engine.connect() as conn:
                t = time.perf_counter()
                await conn.execute(sa.text("SELECT count(*) FROM users"))
                floor.append(time.perf_counter() - t)
        page: list[float] = []
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000", cookies={COOKIE_NAME: token}) as client:
            for i in range(RUNS + 1):
                t = time.perf_counter()
                answer = await client.get("/console/")
                elapsed = time.perf_counter() - t
                assert answer.status_code == 200 and "users</p>" in answer.text, answer.text[:300]
                if i:
                    page.append(elapsed)
    return {"snapshot_seconds": snapshot_seconds, "page_seconds": statistics.median(page),
            "floor_seconds": statistics.median(floor)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=100_000)
    args = parser.parse_args()
    keys = {name: base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
            for name in ("AUTHSHIFT_SECRET_KEY", "AUTHSHIFT_ENCRYPTION_KEY")}
    print(f"bench_console_overview: {args.users:,} users on PostgreSQL, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f}")
    database = f"authshift_bench_console_{os.getpid()}"
    url = f"{PG_ADMIN.rsplit('/', 1)[0]}/{database}"
    asyncio.run(_pg(PG_ADMIN, f'CREATE DATABASE "{database}"'))
    try:
        upgrade(url)
        started = time.perf_counter()
        totp = SecretBox(base64.urlsafe_b64decode(keys["AUTHSHIFT_ENCRYPTION_KEY"]), "totp").encrypt(b"12345678901234567890")
        populate_postgres(url, args.users, one_bcrypt_hash(), totp)
        asyncio.run(_pg(url, MIGRATION_HISTORY, "VACUUM ANALYZE"))
        print(f"  population written in {time.perf_counter() - started:.0f} s")
        with tempfile.TemporaryDirectory(prefix="authshift-bench-") as tmp:
            r = asyncio.run(measure(url, keys, Path(tmp)))
    finally:
        asyncio.run(_pg(PG_ADMIN, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
    print(f"  snapshot round (background job): {r['snapshot_seconds']:.2f} s")
    print(f"  floor, SELECT count(*) FROM users: {1000 * r['floor_seconds']:.0f} ms")
    print(f"  Overview render (GET /console/, median of {RUNS}): {1000 * r['page_seconds']:.0f} ms, "
          f"{r['page_seconds'] / r['floor_seconds']:.1f} x the floor; target < 1 s: "
          f"{'met' if r['page_seconds'] < 1 else 'NOT met'}")
    print(f"  load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
