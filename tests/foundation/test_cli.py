"""The ``authshift`` command, run as a user runs it (a subprocess), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from tests.support.servers import LiveServer, run_cli


def test_admin_key_printed_once_and_works_against_the_server(settings_env: dict[str, str], tmp_path: Path) -> None:
    created = run_cli(["admin-keys", "create", "--name", "ops"], settings_env)
    assert created.returncode == 0, created.stderr
    key = json.loads(created.stdout)["key"]
    assert key.startswith("ask_") and "cannot be shown again" in created.stderr
    server = LiveServer(settings_env, tmp_path)
    server.start()
    try:
        headers = {"Authorization": f"Bearer {key}"}
        resp = httpx.post(f"{server.url}/api/admin/v1/users", json={"email": "cli@x.com"}, headers=headers)
        assert resp.status_code == 201, resp.text
        key_id = key.split("_")[1]
        assert run_cli(["admin-keys", "revoke", key_id], settings_env).returncode == 0
        assert httpx.get(f"{server.url}/api/admin/v1/users", headers=headers).status_code == 401
        again = run_cli(["admin-keys", "revoke", key_id], settings_env)
        unknown = run_cli(["admin-keys", "revoke", "0123456789ab"], settings_env)
        for refused in (again, unknown):
            assert refused.returncode == 1 and "no active admin key with id" in refused.stderr
        listed = json.loads(run_cli(["admin-keys", "list", "--json"], settings_env).stdout)["admin_keys"]
        assert [(k["id"], k["name"], k["revoked_at"] is not None, k["last_used_at"] is not None) for k in listed] == [
            (key_id, "ops", True, True)]
        assert "key_hash" not in listed[0] and key not in json.dumps(listed)
        assert key not in server.log()
    finally:
        server.stop()


def test_users_commands(settings_env: dict[str, str]) -> None:
    made = run_cli(["users", "create", "--email", "Grace@Example.com", "--password-stdin"], settings_env, input="hunter22\n")
    assert made.returncode == 0, made.stderr
    user = json.loads(made.stdout)
    assert user["migration_state"] == "native" and "hunter22" not in made.stdout + made.stderr
    dup = run_cli(["users", "create", "--email", "grace@example.com"], settings_env)
    assert dup.returncode == 1 and "another user already has this email" in dup.stderr
    record = {"email": "rec@x.com", "given_name": "Rec", "custom_attributes": {"tier": 2}}
    from_stdin = run_cli(["users", "create"], settings_env, input=json.dumps(record))
    assert from_stdin.returncode == 0 and json.loads(from_stdin.stdout)["given_name"] == "Rec"
    bad = run_cli(["users", "create"], settings_env, input='{"email": "nope"}')
    assert bad.returncode == 2 and "email" in bad.stderr
    listed = json.loads(run_cli(["users", "list", "--json"], settings_env).stdout)
    assert [u["email"] for u in listed["users"]] == ["Grace@Example.com", "rec@x.com"]
    table = run_cli(["users", "list"], settings_env).stdout
    assert "rec@x.com" in table and user["id"] in table
    narrow = run_cli(["users", "list"], {**settings_env, "COLUMNS": "80"}).stdout  # a terminal 80 columns wide
    assert max(len(line) for line in narrow.splitlines()) <= 80
    assert user["id"] in narrow and "rec@x.com" in narrow  # ids and emails are never cut
    got = json.loads(run_cli(["users", "get", user["id"]], settings_env).stdout)
    assert got == user
    disabled = json.loads(run_cli(["users", "disable", user["id"], "--reason", "left"], settings_env).stdout)
    assert disabled["disabled"] is True and disabled["disabled_reason"] == "left"
    assert run_cli(["users", "delete", user["id"], "--yes"], settings_env).returncode == 0
    missing = run_cli(["users", "get", user["id"]], settings_env)
    assert missing.returncode == 1 and "no user with id" in missing.stderr
    assert run_cli(["users", "get", "not-a-uuid"], settings_env).returncode == 2


def test_bad_config_file_is_a_clear_error(settings_env: dict[str, str], tmp_path: Path) -> None:
    cfg = tmp_path / "authshift.toml"
    cfg.write_text("[passwords]\nbcrypt_max_kost = 12\n")
    result = run_cli(["--config", str(cfg), "db", "upgrade"], settings_env)
    assert result.returncode == 2 and "bcrypt_max_kost" in result.stderr
    cfg.write_text("this is = not [toml")
    result = run_cli(["--config", str(cfg), "db", "upgrade"], settings_env)
    assert result.returncode == 2 and "not valid TOML" in result.stderr
    missing = run_cli(["--config", str(tmp_path / "nope.toml"), "db", "upgrade"], settings_env)
    assert missing.returncode == 2 and "does not exist" in missing.stderr
