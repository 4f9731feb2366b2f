"""Token-exchange tests configure authshift with a TOML file (``AUTHSHIFT_CONFIG``), as users do.

A test module overrides ``exchange_toml`` to name its legacy issuers; the in-process app
(``app``/``client``) and ``live_server`` (a real ``authshift serve``) both read the file.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.legacy_tokens import LocalIssuer
from tests.support.servers import LiveServer
from tests.token_exchange.helpers import App, cli_json


@pytest.fixture
def local() -> Iterator[LocalIssuer]:
    """A legacy issuer of our own: an RSA key and its JWKS on a local HTTP server."""
    with LocalIssuer() as issuer:
        yield issuer


@pytest.fixture
def exchange_toml() -> str:
    return ""


@pytest.fixture
def settings_env(settings_env: dict[str, str], exchange_toml: str, tmp_path: Path) -> dict[str, str]:
    path = tmp_path / "authshift.toml"
    path.write_text(exchange_toml)
    return {**settings_env, "AUTHSHIFT_CONFIG": str(path)}


@pytest.fixture
async def live_app(live_server: LiveServer, settings_env: dict[str, str]) -> AsyncIterator[App]:
    """The operator's setup of a real server: an admin key, and the app registered for token
    exchange with the CLI (``authshift clients create ... --grant-type token-exchange``)."""
    key = cli_json(["admin-keys", "create", "--name", "migration"], settings_env)["key"]
    app = cli_json(["clients", "create", "--name", "Mobile app", "--grant-type", "token-exchange",
                    "--grant-type", "refresh_token"], settings_env)
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as http:
        yield App(http, app["client_id"], app["client_secret"], {"Authorization": f"Bearer {key}"})
