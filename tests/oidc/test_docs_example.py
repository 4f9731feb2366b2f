"""The relying-party example of docs/oidc.md, run as written against a real server."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.oidc.helpers import REDIRECT_URI, sign_in
from tests.support.servers import LiveServer, arun_cli

DOC = Path(__file__).resolve().parents[2] / "docs" / "oidc.md"


def python_example() -> str:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)
    assert len(blocks) == 1, "docs/oidc.md should hold one Python example"
    return blocks[0]


async def test_the_documented_relying_party_works(
    live_server: LiveServer, settings_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    env = {**settings_env, "AUTHSHIFT_PORT": str(live_server.port)}
    assert (await arun_cli(["users", "create", "--email", "doc@example.com", "--password-stdin"], env,
                   input="documented password\n")).returncode == 0
    made = await arun_cli(["clients", "create", "--name", "Example App", "--redirect-uri", REDIRECT_URI], env)
    app = json.loads(made.stdout)
    for name, value in (("AUTHSHIFT_ISSUER", live_server.url), ("CLIENT_ID", app["client_id"]),
                        ("CLIENT_SECRET", app["client_secret"]), ("REDIRECT_URI", REDIRECT_URI)):
        monkeypatch.setenv(name, value)
    namespace: dict[str, Any] = {}
    exec(compile(python_example(), str(DOC), "exec"), namespace)  # noqa: S102 - the documentation's own code

    url, saved = namespace["start_login"]()
    async with httpx.AsyncClient() as browser:
        callback = await sign_in(browser, url, "doc@example.com", "documented password")
    claims, token = namespace["finish_login"](callback, saved)
    assert claims["email"] == "doc@example.com" and "refresh_token" in token
    namespace["client"].close()
