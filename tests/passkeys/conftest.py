"""Passkey tests: an ``authshift serve`` whose issuer is ``http://localhost:<port>`` (WebAuthn needs a
domain for the RP ID, and localhost is a secure context for the browser)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.servers import LiveServer, free_port


@pytest.fixture
def localhost_server(settings_env: dict[str, str], tmp_path: Path) -> Iterator[LiveServer]:
    port = free_port()
    server = LiveServer({**settings_env, "AUTHSHIFT_ISSUER": f"http://localhost:{port}"}, tmp_path, port=port)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def origin(localhost_server: LiveServer) -> str:
    return f"http://localhost:{localhost_server.port}"
