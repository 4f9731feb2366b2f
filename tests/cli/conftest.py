"""CLI tests keep the instance's files (uploads, reports, exports) under the test's own directory."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def settings_env(settings_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    return {**settings_env, "AUTHSHIFT_DATA_DIR": str(tmp_path / "data"),
            "AUTHSHIFT_IMPORTS__DATA_DIR": str(tmp_path / "imports-data")}
