"""The JWKS cache follows key rotation without letting made-up kids hammer the legacy JWKS."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from authshift.migration.token_exchange.errors import ExchangeRefused
from authshift.migration.token_exchange.jwks import JwksCache
from authshift.migration.token_exchange.outbound import IssuerUnavailable
from tests.support.legacy_tokens import LocalIssuer


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def issuer() -> Iterator[LocalIssuer]:
    with LocalIssuer() as local:
        yield local


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


def cache(uri: str, http: httpx.AsyncClient, clock: Clock, *, floor: float = 60, max_age: float = 3600) -> JwksCache:
    return JwksCache(uri, lambda: http, min_refresh_seconds=floor, max_age_seconds=max_age, timeout_seconds=2,
                     clock=clock)


async def test_keys_are_fetched_once_and_reused(issuer: LocalIssuer, http: httpx.AsyncClient) -> None:
    keys = cache(issuer.jwks_uri, http, Clock())
    kid = str(issuer.keys[0].kid)
    for _ in range(5):
        assert (await keys.key_for(kid, "RS256")).kid == kid
    assert issuer.jwks_fetches == 1


async def test_a_rotated_key_is_fetched_once_then_the_floor_holds(issuer: LocalIssuer, http: httpx.AsyncClient) -> None:
    clock = Clock()
    keys = cache(issuer.jwks_uri, http, clock, floor=60)
    await keys.key_for(str(issuer.keys[0].kid), "RS256")
    new_kid = issuer.rotate()
    clock.now += 1  # the first fetch was moments ago: even a real rotation waits for the floor
    with pytest.raises(ExchangeRefused, match="unknown key"):
        await keys.key_for(new_kid, "RS256")
    assert issuer.jwks_fetches == 1
    clock.now += 59
    assert (await keys.key_for(new_kid, "RS256")).kid == new_kid
    assert issuer.jwks_fetches == 2
    # an attacker's invented kids: refused without another fetch until the floor has passed
    for n in range(20):
        with pytest.raises(ExchangeRefused, match="unknown key") as refused:
            await keys.key_for(f"invented-{n}", "RS256")
        assert refused.value.error == "invalid_grant"
    assert issuer.jwks_fetches == 2
    newer_kid = issuer.rotate()
    with pytest.raises(ExchangeRefused, match="unknown key"):
        await keys.key_for(newer_kid, "RS256")
    clock.now += 60
    assert (await keys.key_for(newer_kid, "RS256")).kid == newer_kid
    assert issuer.jwks_fetches == 3


async def test_concurrent_unknown_kids_share_one_fetch(issuer: LocalIssuer, http: httpx.AsyncClient) -> None:
    clock = Clock()
    keys = cache(issuer.jwks_uri, http, clock)
    await keys.key_for(str(issuer.keys[0].kid), "RS256")
    new_kid = issuer.rotate()
    clock.now += 120
    found = await asyncio.gather(*(keys.key_for(new_kid, "RS256") for _ in range(10)))
    assert {key.kid for key in found} == {new_kid}
    assert issuer.jwks_fetches == 2


async def test_a_withdrawn_key_stops_working_once_the_cache_is_old(issuer: LocalIssuer, http: httpx.AsyncClient) -> None:
    clock = Clock()
    keys = cache(issuer.jwks_uri, http, clock, floor=10, max_age=300)
    old_kid = str(issuer.keys[0].kid)
    await keys.key_for(old_kid, "RS256")
    issuer.rotate(keep_old=False)
    clock.now += 200
    assert (await keys.key_for(old_kid, "RS256")).kid == old_kid  # still cached
    clock.now += 101
    with pytest.raises(ExchangeRefused, match="unknown key"):
        await keys.key_for(old_kid, "RS256")


async def test_an_unreachable_jwks_is_a_retryable_error_not_a_bad_token(http: httpx.AsyncClient) -> None:
    with LocalIssuer() as issuer:
        uri, kid = issuer.jwks_uri, str(issuer.keys[0].kid)
    keys = cache(uri, http, Clock())
    with pytest.raises(IssuerUnavailable) as down:
        await keys.key_for(kid, "RS256")
    assert down.value.status == 503 and down.value.error == "temporarily_unavailable"


async def test_keys_already_fetched_survive_a_jwks_outage(issuer: LocalIssuer, http: httpx.AsyncClient) -> None:
    clock = Clock()
    keys = cache(issuer.jwks_uri, http, clock, floor=1, max_age=10)
    kid = str(issuer.keys[0].kid)
    await keys.key_for(kid, "RS256")
    issuer.stop()
    clock.now += 11  # stale: a refresh is attempted, fails, and the known key is kept
    assert (await keys.key_for(kid, "RS256")).kid == kid


async def test_a_token_without_kid_uses_the_only_key(issuer: LocalIssuer, http: httpx.AsyncClient) -> None:
    keys = cache(issuer.jwks_uri, http, Clock())
    assert (await keys.key_for(None, "RS256")).kid == issuer.keys[0].kid
    issuer.rotate()
    keys = cache(issuer.jwks_uri, http, Clock())
    with pytest.raises(ExchangeRefused, match="unknown key"):
        await keys.key_for(None, "RS256")  # two candidates: never guess
