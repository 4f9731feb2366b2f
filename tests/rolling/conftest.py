"""Fixtures of the rolling-migration tests: a real legacy Django app, an authshift configuration
file pointing at it (passed as AUTHSHIFT_CONFIG), and waiting helpers."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from tests.legacy.django_legacy import DjangoLegacy

T = TypeVar("T")

# Cohorts used throughout the tests: stay.example stays on the legacy system; users whose legacy
# record says region "eu" move; move.example moves; anyone else stays.
COHORTS = """
[[migration.cohorts]]
name = "stay"
email_domains = ["stay.example"]
action = "legacy"

[[migration.cohorts]]
name = "eu"
attributes = { region = "eu" }
action = "migrate"

[[migration.cohorts]]
name = "move"
email_domains = ["move.example"]
action = "migrate"
"""

FAST_DELIVERY = """
[delivery]
poll_interval_seconds = 0.1
backoff_base_seconds = 0.2
backoff_max_seconds = 1.0
max_attempts = 8
timeout_seconds = 3
lease_seconds = 4
allow_insecure_webhook_urls = true
"""


def legacy_section(legacy: DjangoLegacy, *, breaker_failures: int = 3, breaker_reset_seconds: float = 1.0) -> str:
    return f"""
[migration.legacy]
verify_url = "{legacy.verify_url}"
lookup_url = "{legacy.lookup_url}"
writeback_url = "{legacy.writeback_url}"
secret = "{legacy.secret}"
timeout_seconds = 2
breaker_failures = {breaker_failures}
breaker_reset_seconds = {breaker_reset_seconds}
"""


def write_config(path: Path, *sections: str) -> Path:
    path.write_text("[migration]\nnew_signups = \"authshift\"\n" + "\n".join(sections))
    return path


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="session")
def _legacy_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DjangoLegacy]:
    # Cheap PBKDF2 so that verifying (which upgrades md5 hashes to PBKDF2) stays fast on 2 cores.
    legacy = DjangoLegacy(tmp_path_factory.mktemp("rolling-legacy"), pbkdf2_iterations=1000)
    try:
        yield legacy.start()
    finally:
        legacy.stop()


@pytest.fixture
def legacy(_legacy_session: DjangoLegacy) -> DjangoLegacy:
    """The legacy Django app, running at the start of every test (a test may stop it)."""
    return _legacy_session.ensure_running()


@pytest.fixture
def rolling_config(tmp_path: Path, legacy: DjangoLegacy) -> Path:
    return write_config(tmp_path / "authshift.toml", legacy_section(legacy), COHORTS, FAST_DELIVERY)


@pytest.fixture
def settings_env(settings_env: dict[str, str], rolling_config: Path) -> dict[str, str]:
    return {**settings_env, "AUTHSHIFT_CONFIG": str(rolling_config)}


@pytest.fixture
def state(app: Any) -> Any:
    return app.state.authshift


async def eventually(check: Callable[[], Awaitable[T]], timeout: float = 20.0, interval: float = 0.1) -> T:
    """Await ``check()`` until it returns something truthy; fail with its last value after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = await check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s (last value: {value!r})")
        await asyncio.sleep(interval)


def eventually_sync(check: Callable[[], T], timeout: float = 30.0, interval: float = 0.1) -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s (last value: {value!r})")
        time.sleep(interval)
