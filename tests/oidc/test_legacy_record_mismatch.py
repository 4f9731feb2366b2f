"""Lazy migration refuses a legacy record that does not hold the login ID the person typed (issue #14).

The legacy Django app of the other tests always answers with the right user, so the legacy system
here is a small real HTTP server whose verify and lookup endpoints answer with *another* user's
record, as a legacy system that looks users up by a secondary key (or has a bug) would. Signing in
through the hosted login must fail, create nobody, and log the mismatch without the password."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
import structlog

from authshift.state import AppState
from authshift.storage.tables import users
from tests.oidc.helpers import submit
from tests.support.legacy_tokens import JsonServer

SECRET = "whsec_" + base64.b64encode(b"k" * 32).decode()
PASSWORD = "the legacy password"
OTHER = {"external_id": "legacy-42", "email": "someone.else@example.com", "preferred_username": "someone_else"}


ASKED: list[dict] = []  # what the legacy system was asked, in order


@pytest.fixture
def wrong_user_legacy() -> Iterator[str]:
    """A legacy system that answers every verify and lookup with another user's record."""
    ASKED.clear()

    def answer(path: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict]:
        ASKED.append(json.loads(body))
        return 200, OTHER

    with JsonServer(answer) as server:
        yield server.url


@pytest.fixture
def settings_env(settings_env: dict[str, str], wrong_user_legacy: str, tmp_path: Path) -> dict[str, str]:
    config = tmp_path / "authshift.toml"
    config.write_text(f"""
[migration]
new_signups = "authshift"

[migration.legacy]
verify_url = "{wrong_user_legacy}/verify"
lookup_url = "{wrong_user_legacy}/lookup"
secret = "{SECRET}"

[[migration.cohorts]]
email_domains = ["example.com"]
action = "migrate"
""")
    return {**settings_env, "AUTHSHIFT_CONFIG": str(config)}


async def _user_count(state: AppState) -> int:
    async with state.engine.connect() as conn:
        return int((await conn.execute(sa.select(sa.func.count()).select_from(users))).scalar_one())


async def test_a_record_of_another_user_signs_nobody_in(state: AppState, client: httpx.AsyncClient) -> None:
    with structlog.testing.capture_logs() as logged:
        for typed in ("victim@example.com", "victim"):
            resp = await submit(client, await client.get("/login"), {"login_id": typed, "password": PASSWORD})
            assert resp.status_code == 400 and "The login ID or password is incorrect." in resp.text
            assert "authshift_session" not in client.cookies
    mismatches = [e for e in logged if "does not hold the login ID typed" in e["event"]]
    assert [(e["endpoint"], e["external_id"]) for e in mismatches] == [("verify", "legacy-42")] * 2
    assert PASSWORD not in repr(logged) and "victim" not in repr(mismatches)
    assert [a["login_id"] for a in ASKED] == ["victim@example.com", "victim"]
    assert await _user_count(state) == 0  # neither the other user nor a second account was made
    # claiming before sign-up refuses the mismatch too: the sign-up makes the typed user, not the other
    created = await submit(client, await client.get("/signup"),
                           {"email": "victim@example.com", "password": "a long and unusual passphrase",
                            "password_confirm": "a long and unusual passphrase"})
    assert created.status_code == 303
    async with state.engine.connect() as conn:
        assert (await conn.execute(sa.select(users.c.external_id, users.c.source))).all() == [(None, "signup")]  # born here by sign-up, not claimed from the legacy record


async def test_the_matching_user_still_signs_in(state: AppState, client: httpx.AsyncClient) -> None:
    resp = await submit(client, await client.get("/login"), {"login_id": "Someone.Else@Example.com", "password": PASSWORD})
    assert resp.status_code == 303 and resp.headers["location"] == "/"
    async with state.engine.connect() as conn:
        row = (await conn.execute(sa.select(users.c.external_id, users.c.migration_state))).one()
    assert tuple(row) == ("legacy-42", "migrated")
    again = await submit(client, await client.get("/login"), {"login_id": "someone_else", "password": PASSWORD})
    assert again.status_code == 303  # the username in the record counts too (now a local user)
