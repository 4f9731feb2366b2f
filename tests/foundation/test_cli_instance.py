"""Where an instance lives (AUTHSHIFT_HOME), who may create one, and who may change its schema.

Only ``authshift db upgrade`` and ``serve`` create an instance or change a schema; every other
command refuses (naming where it looked, or both revisions) and writes nothing.
"""

from __future__ import annotations

import socket
from pathlib import Path

import sqlalchemy as sa

from authshift.storage.db import create_engine
from authshift.storage.migrate import schema_heads
from tests.conftest import TEST_ENCRYPTION_KEY, TEST_SECRET
from tests.support.servers import LiveServer, arun_cli, free_port, run_cli

HEAD = ", ".join(schema_heads("sqlite:///x.db"))
# what each command needs to get as far as touching the database
COMMANDS = [
    ["users", "list"],
    ["admin-keys", "list"],
    ["admin-keys", "create"],
    ["clients", "list"],
    ["keys", "list"],
    ["export", "{tmp}/out.ndjson"],
    ["import", "{tmp}/in.ndjson"],
    ["import", "{tmp}/in.ndjson", "--dry-run"],
]


def _args(command: list[str], tmp: Path) -> list[str]:
    return [a.format(tmp=tmp) for a in command]


async def _set_revision(url: str, revision: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(sa.text("UPDATE alembic_version SET version_num = :r"), {"r": revision})
    finally:
        await engine.dispose()


async def _revision(url: str) -> str:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return str((await conn.execute(sa.text("SELECT version_num FROM alembic_version"))).scalar_one())
    finally:
        await engine.dispose()


async def test_commands_refuse_a_schema_behind_or_ahead_and_change_nothing(
    settings_env: dict[str, str], tmp_path: Path
) -> None:
    url = settings_env["AUTHSHIFT_DATABASE_URL"]
    (tmp_path / "in.ndjson").write_text('{"email": "a@x.com"}\n')
    try:
        for stored, expected, commands in (("0006_delivery", "behind", COMMANDS[4:]),
                                           ("0099_from_the_future", "does not know", COMMANDS[:1] + COMMANDS[5:6])):
            await _set_revision(url, stored)
            for command in commands:
                result = await arun_cli(_args(command, tmp_path), settings_env, cwd=tmp_path)
                assert result.returncode == 1, (command, result.stdout, result.stderr)
                assert stored in result.stderr and HEAD in result.stderr and expected in result.stderr, result.stderr
                assert await _revision(url) == stored  # nobody migrated it
            assert not (tmp_path / "out.ndjson").exists() and not (tmp_path / "authshift-data").exists()
    finally:
        await _set_revision(url, HEAD)
    assert (await arun_cli(["users", "list", "--json"], settings_env, cwd=tmp_path)).returncode == 0


def test_no_instance_is_reported_with_where_it_looked_and_nothing_is_written(tmp_path: Path) -> None:
    home = tmp_path / "instance"
    home.mkdir()
    (tmp_path / "in.ndjson").write_text('{"email": "a@x.com"}\n')
    before = sorted(tmp_path.rglob("*"))
    for env, where, commands in (({"AUTHSHIFT_HOME": str(home)}, f"{home} (AUTHSHIFT_HOME)", COMMANDS),
                                 ({}, f"{tmp_path} (the current directory", COMMANDS[2:3] + COMMANDS[5:6])):
        for command in commands:
            result = run_cli(_args(command, tmp_path), env, cwd=tmp_path)
            assert result.returncode == 1, (command, result.stdout, result.stderr)
            assert f"no authshift instance in {where}" in result.stderr, result.stderr
            assert "authshift.db" in result.stderr and "authshift.secrets.json" in result.stderr
            assert sorted(tmp_path.rglob("*")) == before, command
    # a secrets file without the database (or the reverse) is not an instance either
    (home / "authshift.secrets.json").write_text("{}")
    partial = run_cli(["users", "list"], {"AUTHSHIFT_HOME": str(home)}, cwd=tmp_path)
    assert partial.returncode == 1 and f"no database at {home / 'authshift.db'}" in partial.stderr
    assert "secrets file" not in partial.stderr


def test_db_upgrade_creates_the_instance_in_authshift_home_and_says_so(tmp_path: Path) -> None:
    home, elsewhere = tmp_path / "instance", tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {"AUTHSHIFT_HOME": str(home)}
    created = run_cli(["db", "upgrade"], env, cwd=elsewhere)
    assert created.returncode == 0, created.stderr
    assert f"creating an authshift instance in {home} (AUTHSHIFT_HOME)" in created.stderr
    assert f"upgraded the database schema from revision none to {HEAD}" in created.stderr
    assert (home / "authshift.db").is_file() and oct((home / "authshift.secrets.json").stat().st_mode & 0o777) == "0o600"
    assert list(elsewhere.iterdir()) == []
    again = run_cli(["db", "upgrade"], env, cwd=elsewhere)
    assert again.returncode == 0 and "creating" not in again.stderr and "upgraded" not in again.stderr
    assert f"up to date (revision {HEAD})" in again.stdout
    key = run_cli(["admin-keys", "create"], env, cwd=elsewhere)
    assert key.returncode == 0, key.stderr
    listed = run_cli(["admin-keys", "list"], env, cwd=elsewhere)
    assert key.stdout.split('"id": "')[1].split('"')[0] in listed.stdout
    assert list(elsewhere.iterdir()) == []


def test_serve_creates_an_instance_and_announces_only_what_it_listens_on(tmp_path: Path) -> None:
    env = {"AUTHSHIFT_HOME": str(tmp_path / "instance")}
    out_of_range = run_cli(["serve", "--port", "99999"], env, cwd=tmp_path, timeout=60)
    assert out_of_range.returncode == 2 and "65535" in out_of_range.stderr and "listening" not in out_of_range.stderr
    from_env = run_cli(["serve"], {**env, "AUTHSHIFT_PORT": "0"}, cwd=tmp_path, timeout=60)
    assert from_env.returncode == 2 and "port" in from_env.stderr and "listening" not in from_env.stderr
    assert not (tmp_path / "instance").exists()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        busy = run_cli(["serve", "--port", str(port)], env, cwd=tmp_path, timeout=60)
    assert busy.returncode == 1 and f"cannot listen on 127.0.0.1:{port}" in busy.stderr
    assert "listening" not in busy.stderr and not (tmp_path / "instance").exists()
    server = LiveServer({**env, "AUTHSHIFT_SECRET_KEY": TEST_SECRET, "AUTHSHIFT_ENCRYPTION_KEY": TEST_ENCRYPTION_KEY},
                        tmp_path, port=free_port())
    server.start()
    try:
        log = server.log()
        assert "creating an authshift instance" in log and f"revision none to {HEAD}" in log
        assert f"authshift listening on http://127.0.0.1:{server.port}" in log
        assert log.index("upgraded the database schema") < log.index("listening")
    finally:
        server.stop()
    assert (tmp_path / "instance" / "authshift.db").is_file()
    assert not (tmp_path / "instance" / "authshift.secrets.json").exists()  # the secrets came from the environment
