"""Webhook endpoints registered through the admin API, and delivery of events to them: signed,
retried with backoff, dead after the last attempt, redelivered on request."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from authshift.config import DeliverySettings
from authshift.errors import InvalidInput
from authshift.events import webhooks
from authshift.events.delivery import backoff_seconds
from authshift.security.webhook_signatures import WebhookSignatureMismatch, verify

from .conftest import eventually, unique
from .receiver import Receiver

API = "/api/admin/v1"


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    with Receiver() as rx:
        yield rx


async def register(client: httpx.AsyncClient, headers: dict[str, str], url: str, types: list[str]) -> dict[str, Any]:
    response = await client.post(f"{API}/webhooks", json={"url": url, "event_types": types}, headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def create_user(client: httpx.AsyncClient, headers: dict[str, str], **fields: Any) -> dict[str, Any]:
    response = await client.post(f"{API}/users", json={"email": unique("hook") + "@example.com", **fields}, headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def deliveries(client: httpx.AsyncClient, headers: dict[str, str], **params: str) -> list[dict[str, Any]]:
    response = await client.get(f"{API}/deliveries", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return list(response.json()["deliveries"])


async def test_endpoint_crud_shows_the_secret_once(client: httpx.AsyncClient, admin_headers: dict[str, str]) -> None:
    created = await register(client, admin_headers, "https://hooks.example/authshift", ["user.*"])
    assert created["secret"].startswith("whsec_") and created["enabled"] is True
    endpoint_id = created["id"]
    got = (await client.get(f"{API}/webhooks/{endpoint_id}", headers=admin_headers)).json()
    assert "secret" not in got and got["event_types"] == ["user.*"]
    listed = (await client.get(f"{API}/webhooks", headers=admin_headers)).json()["webhooks"]
    assert [e["id"] for e in listed] == [endpoint_id] and created["secret"] not in str(listed)
    patched = await client.patch(f"{API}/webhooks/{endpoint_id}", json={"enabled": False, "event_types": ["*"]},
                                 headers=admin_headers)
    assert patched.status_code == 200 and patched.json()["enabled"] is False and patched.json()["event_types"] == ["*"]
    rotated = (await client.post(f"{API}/webhooks/{endpoint_id}/rotate-secret", headers=admin_headers)).json()
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != created["secret"]
    assert (await client.delete(f"{API}/webhooks/{endpoint_id}", headers=admin_headers)).status_code == 204
    missing = await client.get(f"{API}/webhooks/{endpoint_id}", headers=admin_headers)
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"url": "ftp://hooks.example/x", "event_types": ["*"]}, "url"),
        ({"url": "http://hooks.example/x", "event_types": ["*"]}, "url"),  # http only to loopback
        ({"url": "https://hooks.example/x", "event_types": []}, "event_types"),
        ({"url": "https://hooks.example/x", "event_types": ["User Created"]}, "event_types"),
        ({"url": "https://hooks.example/x", "event_types": ["*"], "colour": "red"}, "colour"),
        ({"event_types": ["*"]}, "url"),
    ],
)
async def test_bad_endpoints_are_refused_with_the_field(
    client: httpx.AsyncClient, admin_headers: dict[str, str], body: dict[str, Any], path: str
) -> None:
    response = await client.post(f"{API}/webhooks", json=body, headers=admin_headers)
    assert response.status_code == 422 and response.headers["content-type"] == "application/problem+json"
    assert path in [e["path"] for e in response.json()["errors"]]


async def test_the_admin_api_needs_a_key(client: httpx.AsyncClient) -> None:
    for method, path in (("GET", "/webhooks"), ("GET", "/deliveries"), ("GET", "/migration/stats"),
                         ("POST", f"/deliveries/{uuid.uuid4()}/redeliver")):
        assert (await client.request(method, API + path)).status_code == 401


async def test_plain_http_webhooks_need_the_insecure_setting(state: Any) -> None:
    box = webhooks.endpoint_secret_box(state.secrets.encryption_key)
    local = {"url": "http://127.0.0.1:9/x", "event_types": ["*"]}
    async with state.engine.begin() as conn:
        with pytest.raises(InvalidInput) as refused:
            await webhooks.create_endpoint(conn, local, settings=DeliverySettings(), box=box)
        assert refused.value.errors[0].message == "webhook URLs must use https"
        loose = DeliverySettings(allow_insecure_webhook_urls=True)
        endpoint, _secret = await webhooks.create_endpoint(conn, local, settings=loose, box=box)
        assert endpoint["url"] == local["url"]
        with pytest.raises(InvalidInput):  # even then, plain http only to this machine
            await webhooks.create_endpoint(conn, {**local, "url": "http://10.0.0.8/x"}, settings=loose, box=box)


def test_backoff_grows_exponentially_with_jitter_up_to_the_cap() -> None:
    settings = DeliverySettings(backoff_base_seconds=10, backoff_max_seconds=3600)
    low = [backoff_seconds(n, settings, rng=lambda: 0.0) for n in range(1, 12)]
    high = [backoff_seconds(n, settings, rng=lambda: 1.0) for n in range(1, 12)]
    assert high[:4] == [10, 20, 40, 80] and low[:4] == [5, 10, 20, 40]
    assert high[-1] == 3600 and low[-1] == 1800


async def test_events_reach_subscribed_endpoints_signed_with_the_event_id(
    client: httpx.AsyncClient, admin_headers: dict[str, str], receiver: Receiver
) -> None:
    users_only = await register(client, admin_headers, receiver.url + "/users", ["user.created", "user.updated"])
    everything = await register(client, admin_headers, receiver.url + "/all", ["*"])
    disabled = await register(client, admin_headers, receiver.url + "/off", ["*"])
    await client.patch(f"{API}/webhooks/{disabled['id']}", json={"enabled": False}, headers=admin_headers)
    user = await create_user(client, admin_headers, given_name="Grace")
    await client.post(f"{API}/users/{user['id']}/disable", headers=admin_headers)

    async def arrived() -> bool:
        return len(receiver.requests) >= 3
    await eventually(arrived)
    by_path = {(r.path, r.json()["type"]): r for r in receiver.requests}
    assert set(by_path) == {("/users", "user.created"), ("/all", "user.created"), ("/all", "user.disabled")}
    request = by_path[("/users", "user.created")]
    body = request.json()
    assert set(body) == {"type", "id", "timestamp", "data"}
    assert body["data"]["user"]["id"] == user["id"] and body["data"]["user"]["given_name"] == "Grace"
    assert request.headers["webhook-id"] == body["id"]
    assert verify(users_only["secret"], request.headers, request.body) == body["id"]
    other = by_path[("/all", "user.created")]
    assert other.json()["id"] == body["id"]  # one event, one idempotency id, whichever endpoint
    assert verify(everything["secret"], other.headers, other.body)
    with pytest.raises(WebhookSignatureMismatch):
        verify(users_only["secret"], other.headers, other.body)
    listed = await deliveries(client, admin_headers, target=f"webhook:{users_only['id']}")
    assert [(d["event_type"], d["state"], d["attempts"]) for d in listed] == [("user.created", "delivered", 1)]


async def test_a_failing_endpoint_is_retried_then_dead_then_redelivered(
    client: httpx.AsyncClient, admin_headers: dict[str, str], receiver: Receiver, state: Any
) -> None:
    receiver.respond(500, body={"error": "down"})
    endpoint = await register(client, admin_headers, receiver.url, ["user.created"])
    await create_user(client, admin_headers)
    target = f"webhook:{endpoint['id']}"

    async def dead() -> list[dict[str, Any]]:
        return await deliveries(client, admin_headers, state="dead", target=target)
    [delivery] = await eventually(dead, timeout=30)
    max_attempts = state.settings.delivery.max_attempts
    assert delivery["attempts"] == max_attempts and delivery["last_status"] == 500 and "down" in delivery["last_error"]
    assert len(receiver.requests) == max_attempts
    assert len({r.headers["webhook-id"] for r in receiver.requests}) == 1  # every retry carries the same id
    gaps = [b.at - a.at for a, b in zip(receiver.requests, receiver.requests[1:], strict=False)]
    assert gaps[-1] > gaps[0]  # backing off
    assert await deliveries(client, admin_headers, state="pending", target=target) == []

    receiver.respond(204)
    again = await client.post(f"{API}/deliveries/{delivery['id']}/redeliver", headers=admin_headers)
    assert again.status_code == 200 and again.json()["state"] == "pending" and again.json()["attempts"] == 0

    async def delivered() -> list[dict[str, Any]]:
        return await deliveries(client, admin_headers, state="delivered", target=target)
    [done] = await eventually(delivered)
    assert done["id"] == delivery["id"] and done["attempts"] == 1 and done["last_error"] is None
    assert len(receiver.requests) == max_attempts + 1
    missing = await client.post(f"{API}/deliveries/{uuid.uuid4()}/redeliver", headers=admin_headers)
    assert missing.status_code == 404


async def test_one_users_events_reach_a_target_in_order(
    client: httpx.AsyncClient, admin_headers: dict[str, str], receiver: Receiver
) -> None:
    receiver.respond(503)
    await register(client, admin_headers, receiver.url, ["user.*"])
    user = await create_user(client, admin_headers)
    for name in ("A", "B", "C"):
        await client.patch(f"{API}/users/{user['id']}", json={"given_name": name}, headers=admin_headers)

    async def retried() -> bool:
        return len(receiver.requests) >= 3
    await eventually(retried)
    assert {r.json()["type"] for r in receiver.requests} == {"user.created"}  # later events wait their turn
    receiver.respond(200)

    async def all_arrived() -> bool:
        return sum(1 for r in receiver.requests if r.json()["type"] == "user.updated") >= 3
    await eventually(all_arrived)
    accepted = [r.json() for r in receiver.requests]
    order = [b["data"]["user"].get("given_name") for b in accepted if b["type"] == "user.updated"]
    assert order == ["A", "B", "C"]


async def test_deliveries_list_filters_and_pages(
    client: httpx.AsyncClient, admin_headers: dict[str, str], receiver: Receiver
) -> None:
    await register(client, admin_headers, receiver.url, ["user.created"])
    for _ in range(3):
        await create_user(client, admin_headers)

    async def three_delivered() -> list[dict[str, Any]]:
        found = await deliveries(client, admin_headers, state="delivered", event_type="user.created")
        return [d for d in found if d["target"].startswith("webhook:")] if len(found) >= 3 else []
    await eventually(three_delivered)
    first = await client.get(f"{API}/deliveries", params={"limit": 2, "event_type": "user.created"}, headers=admin_headers)
    page = first.json()
    assert len(page["deliveries"]) == 2 and page["next_cursor"]
    rest = await client.get(f"{API}/deliveries", params={"limit": 500, "event_type": "user.created",
                                                         "cursor": page["next_cursor"]}, headers=admin_headers)
    ids = [d["id"] for d in page["deliveries"] + rest.json()["deliveries"]]
    assert len(ids) == len(set(ids)) and ids == sorted(ids, reverse=True)
    bad = await client.get(f"{API}/deliveries", params={"state": "lost"}, headers=admin_headers)
    assert bad.status_code == 422
