"""Token-exchange tests configure authshift with a TOML file (``AUTHSHIFT_CONFIG``), as users do.

A test module overrides ``exchange_toml`` to name its legacy issuers; the in-process app
(``app``/``client``) and ``live_server`` (a real ``authshift serve``) both read the file.
"""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def exchange_toml() -> str:
    return ""


@pytest.fixture
def settings_env(settings_env: dict[str, str], exchange_toml: str, tmp_path: Path) -> dict[str, str]:
    path = tmp_path / "authshift.toml"
    path.write_text(exchange_toml)
    return {**settings_env, "AUTHSHIFT_CONFIG": str(path)}
