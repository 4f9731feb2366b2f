"""Fixtures of the OIDC tests: the app state, and a lower account throttle so throttling is quick to reach."""

from __future__ import annotations

from typing import Any

import pytest

from authshift.state import AppState

ACCOUNT_LIMIT = 5
KEY_CACHE_SECONDS = 1  # how long a process keeps the signing key (short: rotation tests wait for it)


@pytest.fixture
def settings_env(settings_env: dict[str, str]) -> dict[str, str]:
    return {
        **settings_env,
        "AUTHSHIFT_THROTTLE__ACCOUNT_MAX_ATTEMPTS": str(ACCOUNT_LIMIT),
        "AUTHSHIFT_THROTTLE__IP_MAX_ATTEMPTS": "1000",
        "AUTHSHIFT_OIDC__SIGNING_KEY_CACHE_SECONDS": str(KEY_CACHE_SECONDS),
    }


@pytest.fixture
def state(app: Any) -> AppState:
    return app.state.authshift  # type: ignore[no-any-return]
