"""Readiness counts match the users who can actually sign in: every ``ready`` user of a mixed
import (imported with the real ``authshift import``) signs in through the hosted login pages and
gets tokens, every ``reset`` one fails."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from authshift.app import create_app
from authshift.config import Settings
from authshift.migration.readiness.report import cell_user_ids, readiness_table
from tests.oidc.helpers import new_client
from tests.readiness.helpers import FOREIGN_PASSKEY, MIXED, PASSKEYS, REASONS, readiness_json, signs_in, write_mixed
from tests.support.servers import arun_cli


@pytest.fixture
def settings_env(settings_env: dict[str, str]) -> dict[str, str]:
    return {**settings_env, "AUTHSHIFT_THROTTLE__IP_MAX_ATTEMPTS": "1000"}


async def cell(state: Any, **where: Any) -> list[dict[str, Any]]:
    async with state.engine.connect() as conn:
        return (await cell_user_ids(conn, limit=1000, **where))["users"]  # type: ignore[no-any-return]


async def test_every_ready_user_signs_in_and_every_reset_user_fails(
    settings_env: dict[str, str], settings: Settings, tmp_path: Path,
) -> None:
    users, config = write_mixed(tmp_path)
    report = tmp_path / "report.ndjson"
    imported = await arun_cli(["import", str(users), "--hash-config", str(config),
                        "--report", str(report)], settings_env)
    assert imported.returncode == 0, imported.stdout + imported.stderr
    lines = [json.loads(line) for line in report.read_text().splitlines()]
    records = users.read_text().splitlines()
    by_email = {json.loads(records[r["index"] - 1])["email"]: r for r in lines if r["outcome"] == "inserted"}
    email_of = {r["user_id"]: email for email, r in by_email.items()}
    assert set(by_email) == set(MIXED)
    for email, (_, _, expected) in MIXED.items():
        if expected is not None:
            assert by_email[email]["readiness"] == expected, (email, by_email[email])

    # the summary and the table count what the report says, user by user
    table = readiness_json(settings_env)
    assert table["users"] == len(MIXED)
    summary = next(line for line in imported.stdout.splitlines() if line.startswith("by readiness: "))
    for name in ("ready", "lazy", "reset", "unverified"):
        assert table["totals"][name] == sum(1 for r in by_email.values() if r["readiness"] == name), name
        assert f"{name} {table['totals'][name]}" in summary
    assert "warning:" in imported.stdout and "verify_url" in imported.stdout  # lazy users, no legacy system

    # the server starts once the import is done (its workers and the import never write SQLite at once)
    app = create_app(settings)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:8000",
    ) as client:
        await sign_everyone_in(app.state.authshift, client, email_of)


async def sign_everyone_in(state: Any, client: httpx.AsyncClient, email_of: dict[str, str]) -> None:
    ready = {email_of[u["id"]] for u in await cell(state, readiness="ready")}
    reset = {email_of[u["id"]] for u in await cell(state, readiness="reset")}
    assert {"bcrypt@mixed.example", "md5crypt@mixed.example", "ssha@mixed.example"} <= ready
    assert {"reset@mixed.example", "nothing@mixed.example", "social@mixed.example"} <= reset
    assert {"passkey-only@mixed.example", "passkey-second@mixed.example", "foreign-passkey@mixed.example",
            "sms@mixed.example", "social-password@mixed.example"} <= ready
    async with state.engine.connect() as conn:  # a cell's users a page at a time
        first = await cell_user_ids(conn, readiness="reset", limit=1)
        second = await cell_user_ids(conn, readiness="reset", limit=1, after=uuid.UUID(first["next"]))
    assert first["users"] != second["users"] and {email_of[first["users"][0]["id"]]} <= reset

    # the reason says what a user lost or must do, whatever their state
    reasons = {email_of[u["id"]]: u["reason"] or "" for name in ("ready", "reset")
               for u in await cell(state, readiness=name)}
    for email, words in REASONS.items():
        assert words in reasons[email], (email, reasons[email])
    assert "password reset" in reasons["social@mixed.example"]

    made, _ = await new_client(state, public=True)
    origin = state.settings.webauthn_origins[0]
    for email in sorted(ready):
        password = MIXED[email][0]
        assert await signs_in(client, made.client_id, email, password, PASSKEYS.get(email), origin), \
            f"{email} is ready but cannot sign in"
    for email in sorted(reset):
        assert not await signs_in(client, made.client_id, email, MIXED[email][0] or ""), f"{email} is reset but signed in"
    # the passkey the import refused (another RP ID) signs no one in: they register a new one
    assert not await signs_in(client, made.client_id, "", None, FOREIGN_PASSKEY, origin)
    # signing in proved them: still ready, now on native hashes (or, without a password, still none)
    async with state.engine.connect() as conn:
        after = await readiness_table(conn)
    assert after["totals"]["ready"] == len(ready)
    assert {c["hash_family"] for c in after["cells"] if c["readiness"] == "ready"} == {"argon2id", "none"}
