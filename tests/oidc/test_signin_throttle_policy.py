"""The sign-in throttle cannot be turned against the account's owner (issue #14), on both backends:
budgets per account and source, an account-wide budget that refuses only unknown devices (with an
``account.throttled`` event), and known devices that wait, doubling, instead of being locked out."""

from __future__ import annotations

import asyncio

import httpx
import pytest
import sqlalchemy as sa

from authshift.accounts import login as svc
from authshift.accounts.login import GENERIC_FAILURE, LoginOutcome
from authshift.events.outbox import events
from authshift.security.signin_throttle import known_device_delay
from authshift.state import AppState
from tests.oidc.conftest import ACCOUNT_LIMIT
from tests.oidc.helpers import new_user, submit

PASSWORD = "correct horse battery"
ACCOUNT_LOCK = 8  # attempts at one account from every unknown source together
MAX_DELAY = 8  # the longest a known device waits, in seconds


@pytest.fixture
def settings_env(settings_env: dict[str, str]) -> dict[str, str]:
    return {**settings_env, "AUTHSHIFT_THROTTLE__ACCOUNT_LOCK_ATTEMPTS": str(ACCOUNT_LOCK),
            "AUTHSHIFT_THROTTLE__KNOWN_DEVICE_MAX_DELAY_SECONDS": str(MAX_DELAY)}


async def _post_login(client: httpx.AsyncClient, login_id: str, password: str) -> httpx.Response:
    return await submit(client, await client.get("/login"), {"login_id": login_id, "password": password})


async def _throttled_events(state: AppState) -> list[dict]:
    async with state.engine.connect() as conn:
        return list((await conn.execute(sa.select(events.c.data, events.c.subject).where(events.c.type == "account.throttled"))).mappings())


async def test_guesses_from_one_address_lock_out_that_address_only(state: AppState, client: httpx.AsyncClient) -> None:
    await new_user(state, email="owner@example.com", password=PASSWORD)
    for _ in range(ACCOUNT_LIMIT):
        assert (await svc.login(state, "owner@example.com", "guess", ip="203.0.113.9")).outcome is LoginOutcome.FAILED
    refused = await svc.login(state, "owner@example.com", PASSWORD, ip="203.0.113.9")
    assert refused.outcome is LoginOutcome.THROTTLED and refused.retry_after and refused.message == GENERIC_FAILURE
    # the owner, from their own address and a browser that never signed in before, gets in
    resp = await _post_login(client, "owner@example.com", PASSWORD)
    assert resp.status_code == 303 and resp.headers["location"] == "/"


async def test_a_distributed_attack_cannot_keep_the_owner_out_of_a_known_device(
    state: AppState, client: httpx.AsyncClient
) -> None:
    uid = await new_user(state, email="target@example.com", password=PASSWORD)
    await new_user(state, email="other@example.com", password=PASSWORD)
    assert (await _post_login(client, "target@example.com", PASSWORD)).status_code == 303  # a known device now
    assert "authshift_device" in client.cookies
    # many addresses, a few guesses each: no single address reaches its own budget
    for i in range(ACCOUNT_LOCK + 3):
        outcome = (await svc.login(state, "target@example.com", "guess", ip=f"198.51.100.{i}")).outcome
        assert outcome is (LoginOutcome.FAILED if i < ACCOUNT_LOCK else LoginOutcome.THROTTLED)
    # unknown devices are refused now, even with the right password ...
    assert (await svc.login(state, "target@example.com", PASSWORD, ip="192.0.2.1")).outcome is LoginOutcome.THROTTLED
    async with _browser_at(client, "192.0.2.200") as stranger:
        # a browser known to another account, on another network, is a stranger to this one
        assert (await _post_login(stranger, "other@example.com", PASSWORD)).status_code == 303
        assert "authshift_device" in stranger.cookies
        locked = await _post_login(stranger, "target@example.com", PASSWORD)
    assert locked.status_code == 429 and GENERIC_FAILURE in locked.text and int(locked.headers["retry-after"]) > 0
    # ... the owner's known device is not
    resp = await _post_login(client, "target@example.com", PASSWORD)
    assert resp.status_code == 303 and resp.headers["location"] == "/"
    # and the lock was announced once, for the user, without the login ID
    throttled = await _throttled_events(state)
    assert [e["subject"] for e in throttled] == [str(uid)]
    assert throttled[0]["data"]["user_id"] == str(uid) and "target@example.com" not in str(throttled[0]["data"])


async def test_a_known_device_waits_longer_after_each_failure_but_is_never_locked_out(
    state: AppState, client: httpx.AsyncClient
) -> None:
    await new_user(state, email="typo@example.com", password=PASSWORD)
    assert (await _post_login(client, "typo@example.com", PASSWORD)).status_code == 303
    # Typos: the first ACCOUNT_LIMIT are free; after that each waits 1 s, 2 s, 4 s ... since the last
    # attempt. A failed attempt itself takes a while on a loaded machine, so the first refusal comes
    # once a wait outgrows it; it is a wait, never a lock-out.
    statuses = []
    while 429 not in statuses:
        assert len(statuses) < ACCOUNT_LIMIT + 6, statuses
        resp = await _post_login(client, "typo@example.com", "typo")
        statuses.append(resp.status_code)
    assert statuses[:ACCOUNT_LIMIT] == [400] * ACCOUNT_LIMIT and set(statuses[:-1]) == {400}
    retry_after = int(resp.headers["retry-after"])
    assert 1 <= retry_after <= MAX_DELAY and GENERIC_FAILURE in resp.text
    await asyncio.sleep(retry_after + 0.2)
    resp = await _post_login(client, "typo@example.com", PASSWORD)
    assert resp.status_code == 303 and resp.headers["location"] == "/"
    # a success forgets the device's failures: typos are free again
    assert (await _post_login(client, "typo@example.com", "typo")).status_code == 400
    assert (await _post_login(client, "typo@example.com", PASSWORD)).status_code == 303


def test_the_wait_doubles_up_to_its_maximum(state: AppState) -> None:
    cfg = state.settings.throttle
    waits = [known_device_delay(cfg, failures) for failures in range(ACCOUNT_LIMIT + 6)]
    assert waits == [0] * ACCOUNT_LIMIT + [1, 2, 4, 8, 8, 8]  # the maximum is MAX_DELAY in this test
    assert known_device_delay(cfg.model_copy(update={"known_device_max_delay_seconds": 60}), ACCOUNT_LIMIT + 10) == 60


def _browser_at(client: httpx.AsyncClient, ip: str) -> httpx.AsyncClient:
    """A new browser (no cookies) whose connections come from ``ip``."""
    app = client._transport.app  # type: ignore[attr-defined]
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(ip, 40000)), base_url=str(client.base_url))


async def test_a_new_browser_on_the_owners_network_waits_but_is_never_locked_out(
    state: AppState, client: httpx.AsyncClient
) -> None:
    await new_user(state, email="office@example.com", password=PASSWORD)
    async with _browser_at(client, "203.0.113.20") as laptop:  # the owner signs in from the office once
        assert (await _post_login(laptop, "office@example.com", PASSWORD)).status_code == 303
    for i in range(ACCOUNT_LOCK + 1):  # an attack from many addresses locks the account for strangers
        await svc.login(state, "office@example.com", "guess", ip=f"198.51.100.{i}")
    async with _browser_at(client, "192.0.2.77") as stranger:
        assert (await _post_login(stranger, "office@example.com", PASSWORD)).status_code == 429
    # a phone with no cookies, on the same office network (another address of the /24), gets in
    async with _browser_at(client, "203.0.113.41") as phone:
        resp = await _post_login(phone, "office@example.com", PASSWORD)
        assert resp.status_code == 303 and resp.headers["location"] == "/"
    # and guesses from that network only ever wait, doubling, they never lock it out
    statuses = [(await svc.login(state, "office@example.com", "guess", ip="203.0.113.99")).outcome
                for _ in range(ACCOUNT_LIMIT + 1)]
    assert statuses[:ACCOUNT_LIMIT] == [LoginOutcome.FAILED] * ACCOUNT_LIMIT
    waited = await svc.login(state, "office@example.com", PASSWORD, ip="203.0.113.99")
    assert waited.outcome is LoginOutcome.THROTTLED and waited.retry_after is not None
    assert waited.retry_after <= MAX_DELAY


async def test_the_known_network_is_stored_as_a_digest_not_an_address(state: AppState, client: httpx.AsyncClient) -> None:
    from authshift.security.known_networks import known_networks, network_of

    await new_user(state, email="private@example.com", password=PASSWORD)
    async with _browser_at(client, "2001:db8:1:2::5") as browser:
        assert (await _post_login(browser, "private@example.com", PASSWORD)).status_code == 303
    async with state.engine.connect() as conn:
        stored = (await conn.execute(sa.select(known_networks.c.network))).scalars().all()
    assert len(stored) == 1 and "2001" not in stored[0] and "db8" not in stored[0]
    assert network_of("2001:db8:1:2::5") == "2001:db8:1:2::/64" and network_of("::ffff:203.0.113.5") == "203.0.113.0/24"
    assert network_of("not an address") is None and network_of(None) is None
