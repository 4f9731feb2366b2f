"""The legacy connector: signed calls to the real legacy Django app, fast failures, a circuit
breaker, and nothing but the configured URLs called."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
import structlog
from pydantic import ValidationError

from authshift.config import LegacySettings
from authshift.logs import configure_logging
from authshift.migration.rolling.breaker import BreakerOpen, CircuitBreaker
from authshift.migration.rolling.legacy_client import LegacyBadRecord, LegacyClient, LegacyUnavailable
from authshift.security.webhook_signatures import generate_secret, verify
from tests.legacy.django_legacy import DjangoLegacy

from .conftest import unique
from .receiver import Receiver

SECRET = generate_secret()


def settings_for(base: str, **extra: Any) -> LegacySettings:
    return LegacySettings(
        verify_url=f"{base}/authshift/verify", lookup_url=f"{base}/authshift/lookup",
        writeback_url=f"{base}/authshift/writeback", secret=extra.pop("secret", SECRET), **extra,
    )


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    with Receiver() as rx:
        yield rx


# -- the breaker on its own -------------------------------------------------------------------
class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_breaker_opens_after_consecutive_failures_and_half_opens_for_one_trial() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failures=3, reset_seconds=10, clock=clock)
    for _ in range(2):
        breaker.before_call()
        breaker.failed()
    breaker.before_call()
    breaker.succeeded()  # a success resets the count
    for _ in range(3):
        breaker.before_call()
        breaker.failed()
    assert breaker.state == "open"
    with pytest.raises(BreakerOpen) as refused:
        breaker.before_call()
    assert refused.value.retry_at == 110.0
    clock.now = 110.0
    assert breaker.state == "half-open"
    breaker.before_call()  # the one trial
    with pytest.raises(BreakerOpen):
        breaker.before_call()  # others wait for its verdict
    breaker.failed()
    assert breaker.state == "open" and breaker.retry_at == 120.0
    clock.now = 120.0
    breaker.before_call()
    breaker.succeeded()
    assert breaker.state == "closed"
    breaker.before_call()


# -- settings ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://legacy.example/verify", "absolute https"),
        ("/authshift/verify", "absolute https"),
        ("http://legacy.example/verify", "must use https"),
        ("https://user:pw@legacy.example/verify", "credentials"),
    ],
)
def test_settings_accept_only_safe_legacy_urls(url: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        LegacySettings(verify_url=url, secret=SECRET)


def test_settings_require_a_whsec_secret_and_accept_http_on_a_private_network_when_asked() -> None:
    with pytest.raises(ValidationError, match="secret"):
        LegacySettings(verify_url="https://legacy.example/verify")
    with pytest.raises(ValidationError, match="whsec_"):
        LegacySettings(verify_url="https://legacy.example/verify", secret="not-a-webhook-secret")
    assert LegacySettings(verify_url="http://legacy.internal/verify", secret=SECRET, allow_http=True).verify_url
    assert LegacySettings(verify_url="http://127.0.0.1:9/verify", secret=SECRET).verify_url


# -- against the real legacy app ----------------------------------------------------------------
@pytest.mark.legacy
async def test_verify_and_lookup_against_the_legacy_app(legacy: DjangoLegacy) -> None:
    name = unique("conn")
    legacy.create_user(name, f"{name}@example.com", "pw one two", hasher="md5", region="eu")
    client = LegacyClient(settings_for(legacy.base_url, secret=legacy.secret))
    try:
        record = await client.verify(f"{name}@EXAMPLE.com", "pw one two")
        assert record is not None and record["preferred_username"] == name
        assert record["custom_attributes"] == {"region": "eu"} and "password" not in record
        assert await client.verify(name, "wrong") is None
        assert await client.verify(unique("nobody"), "x") is None
        assert (await client.lookup(name))["email"] == f"{name}@example.com"  # type: ignore[index]
        assert await client.lookup(unique("nobody")) is None
        assert client.breaker.state == "closed"
    finally:
        await client.aclose()


@pytest.mark.legacy
async def test_a_wrong_secret_is_refused_by_the_legacy_app_and_counts_as_a_failure(legacy: DjangoLegacy) -> None:
    client = LegacyClient(settings_for(legacy.base_url, secret=generate_secret(), breaker_failures=2))
    try:
        for _ in range(2):
            with pytest.raises(LegacyUnavailable, match="HTTP 401"):
                await client.lookup("anyone")
        assert client.breaker.state == "open"
    finally:
        await client.aclose()


async def test_requests_are_signed_with_standard_webhooks_headers(receiver: Receiver) -> None:
    receiver.respond(404, body={"error": "unknown_user"})
    client = LegacyClient(settings_for(receiver.url))
    try:
        assert await client.lookup("someone@example.com") is None
    finally:
        await client.aclose()
    [request] = receiver.requests
    assert request.path == "/authshift/lookup" and request.json() == {"login_id": "someone@example.com"}
    assert verify(SECRET, request.headers, request.body)


async def test_a_bad_record_is_a_failure_logged_without_secrets(receiver: Receiver, capfd: pytest.CaptureFixture[str]) -> None:
    configure_logging("info", "json")
    # write to the process's own stderr (captured at the file-descriptor level), not to this test's
    # replacement stream, which is closed after the test
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(file=sys.__stderr__))
    receiver.respond(200, body={"email": "not an email", "mfa": {"recovery_codes": "s3cr3t-code"}})
    client = LegacyClient(settings_for(receiver.url))
    try:
        with pytest.raises(LegacyBadRecord) as bad:
            await client.verify("someone@example.com", "hunter2-password")
        assert "email" in str(bad.value)
        receiver.respond(200, body=b"<html>oops</html>")
        with pytest.raises(LegacyBadRecord, match="not JSON"):
            await client.lookup("someone@example.com")
    finally:
        await client.aclose()
    logged = capfd.readouterr().err
    assert "legacy record is invalid" in logged
    assert "hunter2-password" not in logged and "s3cr3t-code" not in logged


async def test_a_slow_legacy_system_times_out_fast(receiver: Receiver) -> None:
    receiver.respond(200, body={"email": "a@example.com"}, delay=3)
    client = LegacyClient(settings_for(receiver.url, timeout_seconds=0.5))
    try:
        started = time.monotonic()
        with pytest.raises(LegacyUnavailable, match="did not answer in time"):
            await client.verify("a@example.com", "pw")
        assert time.monotonic() - started < 2
    finally:
        await client.aclose()


async def test_redirects_are_never_followed(receiver: Receiver) -> None:
    with Receiver() as elsewhere:
        receiver.respond(307, headers={"location": elsewhere.url + "/steal"})
        client = LegacyClient(settings_for(receiver.url))
        try:
            with pytest.raises(LegacyUnavailable, match="HTTP 307"):
                await client.verify("a@example.com", "the password")
        finally:
            await client.aclose()
        assert elsewhere.requests == []


async def test_the_breaker_stops_calls_to_a_failing_system_then_half_opens(receiver: Receiver) -> None:
    receiver.respond(500)
    client = LegacyClient(settings_for(receiver.url, breaker_failures=3, breaker_reset_seconds=0.5))
    try:
        for _ in range(3):
            with pytest.raises(LegacyUnavailable, match="HTTP 500"):
                await client.lookup("a@example.com")
        with pytest.raises(LegacyUnavailable, match="paused") as refused:
            await client.lookup("a@example.com")
        assert refused.value.retry_in is not None and 0 < refused.value.retry_in <= 0.5
        assert len(receiver.requests) == 3  # the refused call never left
        await asyncio.sleep(0.6)
        receiver.respond(200, body={"email": "a@example.com"})
        assert (await client.lookup("a@example.com"))["email"] == "a@example.com"  # type: ignore[index]
        assert client.breaker.state == "closed" and len(receiver.requests) == 4
    finally:
        await client.aclose()


async def test_an_unreachable_system_is_unavailable() -> None:
    with Receiver() as gone:
        url = gone.url
    client = LegacyClient(settings_for(url))
    try:
        with pytest.raises(LegacyUnavailable, match="cannot be reached"):
            await client.lookup("a@example.com")
    finally:
        await client.aclose()
