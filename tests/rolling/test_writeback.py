"""Write-back: users created or changed in authshift appear in the legacy system's own database,
reliably, even when the legacy system is down for a while."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest

from authshift.errors import Unavailable
from tests.legacy.django_legacy import DjangoLegacy
from tests.support.databases import table_counts

from .conftest import eventually, unique

pytestmark = pytest.mark.legacy
API = "/api/admin/v1"


async def in_legacy(legacy: DjangoLegacy, email: str, **expected: Any) -> dict[str, Any] | None:
    async def check() -> dict[str, Any] | None:
        row = await asyncio.to_thread(legacy.get_user, email)
        if row is None or any(row.get(k) != v for k, v in expected.items()):
            return None
        return row
    return await eventually(check, timeout=30)


async def writebacks_of(legacy: DjangoLegacy, user_id: str) -> list[dict[str, Any]]:
    log = await asyncio.to_thread(legacy.writeback_log)
    return [entry for entry in log if entry["event"]["data"].get("user", {}).get("id") == user_id]


async def test_a_user_created_here_appears_in_the_legacy_database_and_follows_changes(
    client: httpx.AsyncClient, admin_headers: dict[str, str], legacy: DjangoLegacy
) -> None:
    email = unique("signup") + "@example.com"
    created = await client.post(f"{API}/users", headers=admin_headers, json={
        "email": email, "given_name": "Lin", "password": "a new password", "custom_attributes": {"region": "eu"},
    })
    assert created.status_code == 201
    user = created.json()
    row = await in_legacy(legacy, email, first_name="Lin")
    assert row["authshift_id"] == user["id"] and row["source"] == "authshift" and row["region"] == "eu"
    assert row["password"].startswith("!")  # Django's unusable password: it signs in here, not there

    await client.patch(f"{API}/users/{user['id']}", headers=admin_headers, json={"family_name": "Wu"})
    await in_legacy(legacy, email, last_name="Wu")
    await client.post(f"{API}/users/{user['id']}/disable", headers=admin_headers)
    await in_legacy(legacy, email, is_active=False)
    assert (await client.delete(f"{API}/users/{user['id']}", headers=admin_headers)).status_code == 204

    async def gone() -> bool:
        return await asyncio.to_thread(legacy.get_user, email) is None
    await eventually(gone)
    applied = [(e["type"], e["outcome"]) for e in await writebacks_of(legacy, user["id"])]
    assert applied == [("user.created", "created"), ("user.updated", "updated"), ("user.disabled", "updated"),
                       ("user.deleted", "deleted")]


async def test_a_password_changed_here_stops_working_in_the_legacy_system(
    client: httpx.AsyncClient, admin_headers: dict[str, str], legacy: DjangoLegacy, state: Any
) -> None:
    name = unique("pw")
    email = f"{name}@move.example"
    legacy.create_user(name, email, "old password", hasher="md5")
    user_id = await state.legacy.login(email, "old password")
    assert user_id is not None
    changed = await client.patch(f"{API}/users/{user_id}", headers=admin_headers, json={"password": "brand new one"})
    assert changed.status_code == 200

    async def refused_there() -> bool:
        response = await asyncio.to_thread(legacy.post, "/authshift/verify", {"login_id": email, "password": "old password"})
        return response.status_code == 401
    await eventually(refused_there)
    types = [e["type"] for e in await writebacks_of(legacy, str(user_id))]
    assert types == ["user.created", "user.migrated", "user.updated", "password.changed"]


async def test_legacy_outage_try_again_no_partial_user_and_pending_writebacks_arrive(
    client: httpx.AsyncClient, admin_headers: dict[str, str], legacy: DjangoLegacy, state: Any, db_url: str
) -> None:
    name = unique("out")
    legacy.create_user(name, f"{name}@move.example", "legacy pw", hasher="md5")
    legacy.stop()
    with pytest.raises(Unavailable, match="try again shortly"):
        await state.legacy.login(f"{name}@move.example", "legacy pw")
    assert (await table_counts(db_url))["users"] == 0

    emails = [unique("while-down") + "@example.com" for _ in range(3)]
    for email in emails:
        assert (await client.post(f"{API}/users", headers=admin_headers, json={"email": email})).status_code == 201
    # longer than max_attempts x the largest backoff: refusals by the open breaker are not attempts
    await asyncio.sleep(6)
    waiting = (await client.get(f"{API}/deliveries", headers=admin_headers,
                                params={"target": "legacy-writeback"})).json()["deliveries"]
    # all three still waiting: pending, or one claimed right now by the breaker's half-open trial call
    assert len(waiting) == 3 and {d["state"] for d in waiting} <= {"pending", "delivering"}, waiting
    assert (await client.get(f"{API}/deliveries", headers=admin_headers, params={"state": "dead"})).json()["deliveries"] == []

    started = time.monotonic()
    legacy.start()
    for email in emails:
        await in_legacy(legacy, email)
    assert time.monotonic() - started < 20
    assert await state.legacy.login(f"{name}@move.example", "legacy pw") is not None


async def test_a_redelivered_writeback_is_applied_once_by_the_legacy_app(
    client: httpx.AsyncClient, admin_headers: dict[str, str], legacy: DjangoLegacy
) -> None:
    email = unique("once") + "@example.com"
    user = (await client.post(f"{API}/users", headers=admin_headers, json={"email": email})).json()
    await in_legacy(legacy, email)

    async def delivered() -> list[dict[str, Any]]:
        found = (await client.get(f"{API}/deliveries", headers=admin_headers, params={
            "target": "legacy-writeback", "state": "delivered", "event_type": "user.created"})).json()["deliveries"]
        return [d for d in found if d["subject"] == user["id"]]
    [delivery] = await eventually(delivered)
    again = await client.post(f"{API}/deliveries/{delivery['id']}/redeliver", headers=admin_headers)
    assert again.status_code == 200

    async def redelivered() -> list[dict[str, Any]]:
        return [d for d in await delivered() if d["last_attempt_at"] != delivery["last_attempt_at"]]
    await eventually(redelivered)
    entries = await writebacks_of(legacy, user["id"])
    assert [(e["type"], e["outcome"], e["webhook_id"]) for e in entries] == [
        ("user.created", "created", delivery["event_id"])
    ]
