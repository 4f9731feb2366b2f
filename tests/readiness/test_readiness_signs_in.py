"""Readiness counts match the users who can actually sign in: every ``ready`` user of a mixed
import signs in through the hosted login of a real ``authshift serve``, every ``reset`` one fails."""

from __future__ import annotations

import json
from pathlib import Path

from tests.readiness.helpers import MIXED, new_public_client, readiness_json, signs_in, write_mixed
from tests.support.servers import LiveServer, run_cli


async def test_every_ready_user_signs_in_and_every_reset_user_fails(settings_env: dict[str, str], tmp_path: Path) -> None:
    users, config = write_mixed(tmp_path)
    report = tmp_path / "report.ndjson"
    imported = run_cli(["import", str(users), "--hash-config", str(config), "--report", str(report)], settings_env)
    assert imported.returncode == 0, imported.stdout + imported.stderr
    lines = [json.loads(line) for line in report.read_text().splitlines()]
    email_of = {r["user_id"]: json.loads(users.read_text().splitlines()[r["index"] - 1])["email"]
                for r in lines if r["outcome"] == "inserted"}
    assert len(email_of) == len(MIXED)
    by_email = {email_of[r["user_id"]]: r for r in lines if r["outcome"] == "inserted"}
    for email, (_, _, expected) in MIXED.items():
        if expected is not None:
            assert by_email[email]["readiness"] == expected, (email, by_email[email])

    # the summary counts what the report says, user by user
    table = readiness_json(settings_env)
    assert table["users"] == len(MIXED)
    for state in ("ready", "lazy", "reset", "unverified"):
        assert table["totals"][state] == sum(1 for r in by_email.values() if r["readiness"] == state), state
        assert f"  {state}" in imported.stdout
    assert "warning:" in imported.stdout and "verify_url" in imported.stdout  # lazy users, no legacy system

    ready = {email_of[u["id"]] for u in readiness_json(settings_env, "--readiness", "ready")["users"]}
    reset = {email_of[u["id"]] for u in readiness_json(settings_env, "--readiness", "reset")["users"]}
    assert {"bcrypt@mixed.example", "md5crypt@mixed.example", "ssha@mixed.example"} <= ready
    assert {"reset@mixed.example", "nothing@mixed.example"} <= reset
    assert len(ready) + len(reset) >= 6
    # a cell's users a page at a time
    first = readiness_json(settings_env, "--readiness", "reset", "--limit", "1")
    second = readiness_json(settings_env, "--readiness", "reset", "--limit", "1", "--after", first["next"])
    assert {first["users"][0]["id"], second["users"][0]["id"]} <= {u for u, e in email_of.items() if e in reset}
    assert first["users"] != second["users"]

    client_id = new_public_client(settings_env)
    server = LiveServer({**settings_env, "AUTHSHIFT_THROTTLE__IP_MAX_ATTEMPTS": "1000"}, tmp_path)
    server.start()
    try:
        for email in sorted(ready):
            assert await signs_in(server.url, client_id, email, MIXED[email][0] or ""), f"{email} is ready but cannot sign in"
        for email in sorted(reset):
            assert not await signs_in(server.url, client_id, email, MIXED[email][0] or ""), f"{email} is reset but signed in"
    finally:
        server.stop()
    # signing in proved them: still ready (now on native hashes)
    after = readiness_json(settings_env)
    assert after["totals"]["ready"] == len(ready)
    assert {c["hash_family"] for c in after["cells"] if c["readiness"] == "ready"} == {"argon2id"}
