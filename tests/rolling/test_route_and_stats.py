"""GET /api/migration/v1/route tells an application which login to show; GET
/api/admin/v1/migration/stats shows how far the migration has come."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from tests.legacy.django_legacy import DjangoLegacy

from .conftest import unique

pytestmark = pytest.mark.legacy
ROUTE = "/api/migration/v1/route"


async def system(client: httpx.AsyncClient, login_id: str) -> str:
    response = await client.get(ROUTE, params={"login_id": login_id})
    assert response.status_code == 200, response.text
    return str(response.json()["system"])


async def test_route_follows_the_cohorts(client: httpx.AsyncClient, legacy: DjangoLegacy) -> None:
    eu, us = unique("eu"), unique("us")
    legacy.create_users([
        {"username": eu, "email": f"{eu}@else.example", "password": "x", "hasher": "md5", "region": "eu"},
        {"username": us, "email": f"{us}@else.example", "password": "x", "hasher": "md5", "region": "us"},
    ])
    assert await system(client, "anyone@move.example") == "authshift"
    assert await system(client, "anyone@STAY.example") == "legacy"
    assert await system(client, f"{eu}@else.example") == "authshift"  # the lookup says region eu
    assert await system(client, eu) == "authshift"  # by username too
    assert await system(client, f"{us}@else.example") == "legacy"
    assert await system(client, "unknown-everywhere@else.example") == "legacy"  # no cohort matched


async def test_users_already_here_always_route_to_authshift(
    client: httpx.AsyncClient, admin_headers: dict[str, str], legacy: DjangoLegacy
) -> None:
    email = unique("here") + "@stay.example"
    assert await system(client, email) == "legacy"
    await client.post("/api/admin/v1/users", headers=admin_headers, json={"email": email})
    assert await system(client, email.upper()) == "authshift"
    legacy.stop()
    assert await system(client, email) == "authshift"  # no legacy call needed


async def test_route_with_the_legacy_system_down(client: httpx.AsyncClient, legacy: DjangoLegacy) -> None:
    legacy.stop()
    assert await system(client, "a@stay.example") == "legacy"  # decided before any rule needs a lookup
    response = await client.get(ROUTE, params={"login_id": "a@else.example"})  # the eu cohort needs the record
    assert response.status_code == 503 and response.headers["content-type"] == "application/problem+json"
    assert "try again shortly" in response.json()["detail"]


@pytest.mark.parametrize("params", [{}, {"login_id": ""}, {"login_id": "   "}, {"login_id": "x" * 400}])
async def test_route_refuses_a_missing_or_bad_login_id(client: httpx.AsyncClient, params: dict[str, str]) -> None:
    response = await client.get(ROUTE, params=params)
    assert response.status_code == 422 and response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["path"] == "login_id"


async def test_stats_count_users_by_state_and_source_and_migrations_per_day(
    client: httpx.AsyncClient, admin_headers: dict[str, str], legacy: DjangoLegacy, state: Any
) -> None:
    movers = [unique("m") for _ in range(2)]
    legacy.create_users([{"username": m, "email": f"{m}@move.example", "password": "pw", "hasher": "md5"} for m in movers])
    for m in movers:
        assert await state.legacy.login(f"{m}@move.example", "pw") is not None
    claimed = unique("c")
    legacy.create_user(claimed, f"{claimed}@stay.example", "pw", hasher="md5")
    assert await state.legacy.claim(claimed) is not None
    await client.post("/api/admin/v1/users", headers=admin_headers, json={"email": unique("n") + "@example.com"})

    response = await client.get("/api/admin/v1/migration/stats", params={"days": 7}, headers=admin_headers)
    assert response.status_code == 200
    stats = response.json()
    assert stats["users"] == {"total": 4, "by_migration_state": {"imported": 1, "migrated": 2, "native": 1},
                              "by_source": {"legacy": 3, "default": 1}}
    days = stats["migrations_per_day"]
    assert len(days) == 7 and days[-1] == {"date": datetime.now(UTC).date().isoformat(), "count": 2}
    assert sum(d["count"] for d in days) == 2
    assert set(stats["deliveries"]) <= {"legacy-writeback"}
    bad = await client.get("/api/admin/v1/migration/stats", params={"days": 0}, headers=admin_headers)
    assert bad.status_code == 422
