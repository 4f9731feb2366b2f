"""Fixtures of the OIDC tests: the app state, and a lower account throttle so throttling is quick to reach."""

from __future__ import annotations

from typing import Any

import pytest

from authshift.state import AppState

ACCOUNT_LIMIT = 5


@pytest.fixture
def settings_env(settings_env: dict[str, str]) -> dict[str, str]:
    return {
        **settings_env,
        "AUTHSHIFT_THROTTLE__ACCOUNT_MAX_ATTEMPTS": str(ACCOUNT_LIMIT),
        "AUTHSHIFT_THROTTLE__IP_MAX_ATTEMPTS": "1000",
    }


@pytest.fixture
def state(app: Any) -> AppState:
    return app.state.authshift  # type: ignore[no-any-return]
