"""The Overview: the counts it shows equal the database's; its history (the daily snapshot) counts
users by source, state, readiness and activity, and migrations and token exchanges per day,
without losing a count when the rows it came from are pruned."""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from authshift.console import overview_data
from authshift.console.snapshots import take_snapshot
from authshift.console.tables import console_daily_moves, console_daily_users
from authshift.events.outbox import events
from authshift.migration.rolling.legacy_health import CallStats
from authshift.migration.token_exchange.tables import exchanged_tokens
from authshift.state import AppState
from authshift.storage.types import utcnow
from tests.console.conftest import PASSWORD, Console, form_fields
from tests.console.db import query
from tests.console.population import SHOP, import_population


def shown(html: str, key: str) -> int:
    found = re.search(rf'data-count="{re.escape(key)}">([\d,]+)<', html)
    assert found, key
    return int(found.group(1).replace(",", ""))


def source_table(html: str) -> dict[str, list[int]]:
    body = html.split('id="by-source"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r'<tr><th scope="row">([^<]+)</th>(.*?)</tr>', body, re.S)
    return {name: [int(n.replace(",", "")) for n in re.findall(r'<td class="num">([\d,]+)</td>', cells)] for name, cells in rows}


def test_counts_shown_equal_the_database(console: Console, operator_http: httpx.Client, tmp_path: Path, db_url: str) -> None:
    import_population(console, tmp_path)
    with httpx.Client(base_url=console.url, follow_redirects=True) as user:  # one imported user signs in: migrated
        login = user.get("/login")
        user.post("/login", data={**form_fields(login.text), "login_id": SHOP[0], "password": PASSWORD})
    page = operator_http.get("/console/")
    refreshed = operator_http.post("/console/overview/refresh", data=form_fields(page.text))
    assert "The history is up to date as of now" in refreshed.text
    html = refreshed.text

    def db(sql: str) -> list[Any]:
        return asyncio.run(query(db_url, sql))

    assert shown(html, "users") == db("SELECT count(*) FROM users")[0][0] == 12
    for state, n in db("SELECT migration_state, count(*) FROM users GROUP BY migration_state"):
        assert shown(html, f"state-{state}") == n
    for readiness, n in db("SELECT readiness, count(*) FROM user_readiness GROUP BY readiness"):
        assert shown(html, f"readiness-{readiness}") == n
    assert shown(html, "state-migrated") == 1
    assert shown(html, "migrated-30d") == 1 and shown(html, "via-signed in") == 1
    assert shown(html, "cohort-(no cohort)") == 1 and ">cohort (no cohort)</th>" in html  # a column of the daily table

    table = source_table(html)
    for source, total, imported, migrated in db(
        "SELECT source, count(*), sum(CASE WHEN migration_state = 'imported' THEN 1 ELSE 0 END), "
        "sum(CASE WHEN migration_state = 'migrated' THEN 1 ELSE 0 END) FROM users GROUP BY source"
    ):
        assert table[source][:3] == [total, imported, migrated], source
    never = db("SELECT source, count(*) FROM users WHERE last_login_at IS NULL GROUP BY source")
    assert {s: table[s][-1] for s, _ in never} == {s: n for s, n in never}

    only_shop = operator_http.get("/console/", params={"source": "shop"})
    assert "Burn-down: shop" in only_shop.text
    assert re.search(r"imported: <strong>6</strong>", only_shop.text)  # 7 shop users, one migrated


async def test_snapshot_counts_moves_and_keeps_them_after_pruning(state: AppState) -> None:
    now = utcnow()
    migrated = [{"id": uuid.uuid4(), "type": "user.migrated", "occurred_at": now - timedelta(minutes=i), "subject": None,
                 "data": {"via": via, **({"cohort": cohort} if cohort else {})}}
                for i, (via, cohort) in enumerate([("legacy", "beta"), ("legacy", "beta"), ("legacy", None), ("token_exchange", None)])]
    claims = [{"issuer": "old-idp", "token_key": f"jti:{i}", "exchanged_at": now, "keep_until": now + timedelta(hours=1)}
              for i in range(3)]
    async with state.engine.begin() as conn:
        await conn.execute(events.insert(), migrated)
        await conn.execute(exchanged_tokens.insert(), claims)
    day = await take_snapshot(state.engine, now)

    async def moves() -> dict[tuple[str, str], int]:
        async with state.engine.connect() as conn:
            rows = (await conn.execute(sa.select(console_daily_moves).where(console_daily_moves.c.day == day))).mappings()
            return {(r["kind"], r["detail"]): r["count"] for r in rows}

    expected = {("via", "legacy"): 3, ("via", "token_exchange"): 1, ("cohort", "beta"): 2, ("cohort", "(no cohort)"): 2,
                ("token_exchange", "old-idp"): 3}
    assert await moves() == expected
    async with state.engine.begin() as conn:  # retention and the replay window prune what the counts came from
        await conn.execute(events.delete())
        await conn.execute(exchanged_tokens.delete())
    await take_snapshot(state.engine, now + timedelta(minutes=10))
    assert await moves() == expected
    async with state.engine.connect() as conn:  # no users: an empty population, written for the day
        assert (await conn.execute(sa.select(sa.func.count()).select_from(console_daily_users))).scalar() == 0


def test_projection_from_the_rate_of_the_last_week() -> None:
    today = utcnow().date()
    rows = [{"day": today, "migration_state": "imported", "activity": "active", "users": 700},
            {"day": today, "migration_state": "imported", "activity": "dormant", "users": 5000},
            {"day": today - timedelta(days=1), "migration_state": "imported", "activity": "active", "users": 9999}]
    per_day = {today - timedelta(days=i): 10 for i in range(1, 8)}
    projected = overview_data.projection(rows, per_day, today)
    assert (projected.remaining, projected.per_day, projected.day) == (700, 10.0, today + timedelta(days=70))
    assert overview_data.projection(rows, {}, today).day is None  # nothing moves: no date
    assert overview_data.projection([], {}, today).remaining == 0


def test_connector_health_over_a_window() -> None:
    clock = [1000.0]
    stats = CallStats(window_seconds=60, clock=lambda: clock[0])
    for ok, seconds in [(True, 0.010), (True, 0.020), (False, 2.0), (True, 0.030)]:
        stats.record(ok, seconds)
    stats.record_refused()
    summary = stats.summary()
    assert (summary.calls, summary.failures, summary.refused, summary.p50_ms) == (4, 1, 1, 30.0)
    assert summary.error_rate == 0.25 and summary.p95_ms == 2000.0
    clock[0] += 61
    assert stats.summary().calls == 0 and stats.summary().p50_ms is None
