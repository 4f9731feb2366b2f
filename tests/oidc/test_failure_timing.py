"""A failed sign-in takes the same time whatever the user's hash, and whether the user exists
(issue #14: unknown 418 ms, imported MD5 13 ms, bcrypt cost 10 104 ms before the fix), and a
hash slower than the native one does not make its users' failures stand out.

Medians over several rounds, the kinds interleaved in each round so that a load change on the
shared machine hits them all alike, compared with a generous relative bound: the MD5 user's
median was 3% of the unknown user's before the fix, so the test cannot pass without it."""

from __future__ import annotations

import hashlib
import statistics
import time
from collections.abc import Iterator

import bcrypt
import pytest

from authshift.accounts import login as svc
from authshift.accounts.login import LoginOutcome
from authshift.security.failure_time import failure_clock
from authshift.state import AppState
from tests.oidc.helpers import new_user

PASSWORD = "correct horse battery"
ROUNDS = 5
SLOW_COST = 14  # bcrypt 2^14: about 2.5 times a native argon2id verify on this machine


@pytest.fixture(autouse=True)
def fresh_failure_clock() -> Iterator[None]:
    """The clock is one per process: this test's slow hash must not slow the tests after it."""
    yield
    failure_clock.__init__()  # type: ignore[misc]


@pytest.fixture
def settings_env(settings_env: dict[str, str]) -> dict[str, str]:
    return {**settings_env, "AUTHSHIFT_THROTTLE__ENABLED": "false"}  # every attempt is checked


async def test_a_failed_sign_in_takes_as_long_whatever_the_hash(state: AppState) -> None:
    md5 = {"algorithm": "md5", "salt": "NaCl", "hash": hashlib.md5(b"NaCl" + PASSWORD.encode()).hexdigest()}
    await new_user(state, email="md5@example.com", password=md5, _state="imported", source="legacy-php")
    cost10 = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=10)).decode()
    await new_user(state, email="bcrypt@example.com", password={"hash": cost10}, _state="imported", source="auth0")
    await new_user(state, email="native@example.com", password=PASSWORD)
    # a hash costlier than the native one: its failures must not stand out either
    slow = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=SLOW_COST)).decode()
    await new_user(state, email="slow@example.com", password={"hash": slow}, _state="imported", source="legacy-rails")
    kinds = ["nobody@example.com", "md5@example.com", "bcrypt@example.com", "native@example.com", "slow@example.com"]
    for login_id in kinds:  # warm up: the hashing pool, the connection pool, the cost estimate
        assert (await svc.login(state, login_id, "wrong password")).outcome is LoginOutcome.FAILED
    times: dict[str, list[float]] = {k: [] for k in kinds}
    for round_ in range(ROUNDS):
        for login_id in kinds[round_ % len(kinds):] + kinds[:round_ % len(kinds)]:
            started = time.perf_counter()
            result = await svc.login(state, login_id, "wrong password")
            times[login_id].append(time.perf_counter() - started)
            assert result.outcome is LoginOutcome.FAILED
    medians = {k: statistics.median(v) for k, v in times.items()}
    unknown = medians["nobody@example.com"]
    for login_id, median in medians.items():
        assert 0.6 <= median / unknown <= 1.6, f"{login_id}: median {median * 1000:.0f} ms, unknown {unknown * 1000:.0f} ms"
    # the right password is not slowed down: padding is for failures only
    started = time.perf_counter()
    assert (await svc.login(state, "md5@example.com", PASSWORD)).outcome is LoginOutcome.OK
    assert time.perf_counter() - started < max(times["nobody@example.com"]) + 1.0
