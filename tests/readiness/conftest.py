"""Readiness tests keep uploaded import files under the test's own directory."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def settings_env(settings_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    return {**settings_env, "AUTHSHIFT_IMPORTS__DATA_DIR": str(tmp_path / "imports-data")}
