"""Real ``authshift serve`` processes: deliveries survive a kill -9, and several processes on one
PostgreSQL database deliver each event once."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.legacy.django_legacy import DjangoLegacy
from tests.support.servers import LiveServer, run_cli

from .conftest import eventually_sync, unique
from .receiver import Receiver

pytestmark = [pytest.mark.legacy, pytest.mark.slow]
API = "/api/admin/v1"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as rx:
        yield rx


def admin_headers(settings_env: dict[str, str]) -> dict[str, str]:
    made = run_cli(["admin-keys", "create", "--name", "tests"], settings_env)
    assert made.returncode == 0, made.stderr
    return {"Authorization": f"Bearer {json.loads(made.stdout)['key']}"}


def register(server: LiveServer, headers: dict[str, str], url: str) -> dict[str, Any]:
    response = httpx.post(f"{server.url}{API}/webhooks", headers=headers, json={"url": url, "event_types": ["user.created"]})
    assert response.status_code == 201, response.text
    return dict(response.json())


def create_users(server: LiveServer, headers: dict[str, str], count: int) -> list[str]:
    emails = [unique("proc") + "@example.com" for _ in range(count)]
    for email in emails:
        response = httpx.post(f"{server.url}{API}/users", headers=headers, json={"email": email}, timeout=30)
        assert response.status_code == 201, response.text
    return emails


def event_ids(receiver: Receiver) -> list[str]:
    return [body["id"] for body in receiver.bodies()]


def test_a_server_killed_mid_delivery_loses_no_event(
    settings_env: dict[str, str], tmp_path: Path, receiver: Receiver, legacy: DjangoLegacy
) -> None:
    headers = admin_headers(settings_env)
    server = LiveServer(settings_env, tmp_path)
    server.start()
    try:
        register(server, headers, receiver.url)
        receiver.respond(200, delay=2.0)  # deliveries stay in flight long enough to be cut off
        legacy.stop()  # and the write-backs wait for the legacy system
        emails = create_users(server, headers, 5)
        eventually_sync(lambda: len(receiver.requests) >= 1)
        server.stop(kill=True)  # kill -9: no graceful shutdown, leases left behind
        answered_before_kill = len(receiver.requests)
        receiver.respond(200)
        legacy.start()
        server.start()
        ids = eventually_sync(lambda: len(set(event_ids(receiver))) == 5 and event_ids(receiver), timeout=60)
        assert len(set(ids)) == 5 and len(ids) >= answered_before_kill
        for email in emails:  # the write-backs pending at the kill arrived too, each applied once
            eventually_sync(lambda email=email: legacy.get_user(email), timeout=60)
        applied = [e for e in legacy.writeback_log() if e["event"]["data"]["user"].get("email") in emails]
        assert sorted(e["event"]["data"]["user"]["email"] for e in applied) == sorted(emails)
        assert len({e["webhook_id"] for e in applied}) == 5

        def all_delivered() -> bool:
            listed = httpx.get(f"{server.url}{API}/deliveries", headers=headers, params={"limit": 100}).json()
            return all(d["state"] == "delivered" for d in listed["deliveries"]) and len(listed["deliveries"]) == 10
        eventually_sync(all_delivered, timeout=30)
    except AssertionError:
        print("--- receiver got", [(r.path, r.json()["id"]) for r in receiver.requests])
        print("--- server log\n" + server.log()[-6000:])
        raise
    finally:
        server.stop()


@pytest.mark.parametrize("backend", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
def test_two_processes_on_one_postgresql_deliver_each_event_once(
    settings_env: dict[str, str], tmp_path: Path, receiver: Receiver
) -> None:
    env = {**settings_env, "AUTHSHIFT_DELIVERY__BATCH_SIZE": "2"}  # small claims, so both processes take part
    headers = admin_headers(env)
    first, second = LiveServer(env, tmp_path), LiveServer(env, tmp_path)
    first.start()
    second.start()
    try:
        register(first, headers, receiver.url)
        receiver.respond(200, delay=0.05)
        count = 40
        create_users(first, headers, count // 2)
        create_users(second, headers, count // 2)
        eventually_sync(lambda: len(set(event_ids(receiver))) >= count, timeout=60)
        # let any duplicate show up before counting
        eventually_sync(lambda: not httpx.get(f"{first.url}{API}/deliveries", headers=headers,
                                              params={"state": "pending"}).json()["deliveries"], timeout=30)
        ids = event_ids(receiver)
        assert len(ids) == count and len(set(ids)) == count
        for server in (first, second):
            assert '"delivery attempt"' in server.log(), "both processes deliver"
    finally:
        first.stop()
        second.stop()
