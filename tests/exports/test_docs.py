"""The examples of docs/export.md, run as written."""

from __future__ import annotations

import importlib.util
import json
import re
import shlex
from pathlib import Path
from typing import Any

import httpx
import pyrage
from pyrage import x25519

from authshift.records import parse_record
from tests.exports.conftest import cli
from tests.exports.population import Member

DOC = Path(__file__).resolve().parents[2] / "docs" / "export.md"


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)


def _commands() -> list[list[str]]:
    commands = []
    for block in _blocks("sh"):
        for line in block.splitlines():
            line = line.split(" #")[0].strip()
            if line.startswith("authshift "):
                args = shlex.split(line)[1:]
                # a line using what an earlier curl set ($EXPORT ...) is run, with its block, by
                # tests/foundation/test_docs_shell.py against a real server
                if not any(a.startswith("$") and a != "$BACKUP_KEY" for a in args):
                    commands.append(args)
    return commands


async def test_every_cli_example_runs(app: Any, population: list[Member], settings_env: dict[str, str], tmp_path: Path) -> None:
    identity = x25519.Identity.generate()
    # the private key file the guide's `authshift keys age-generate --out backup-key.txt` writes
    # (tests/foundation/test_docs_shell.py runs that line itself)
    (tmp_path / "backup-key.txt").write_text(f"# public key: {identity.to_public()}\n{identity}\n")
    ran = 0
    for args in _commands():
        args = [str(identity.to_public()) if a == "$BACKUP_KEY" else a for a in args]
        if args[0] == "import" and importlib.util.find_spec("authshift.migration.imports.bulk") is None:
            continue  # the import command is on its own branch until it is merged
        result = await cli(args, settings_env, cwd=tmp_path)
        assert result.returncode == 0, f"{args}: {result.stderr}"
        ran += 1
    assert ran >= 5
    backup = tmp_path / "backup.ndjson.age"
    lines = pyrage.decrypt(backup.read_bytes(), [identity]).decode().splitlines()
    assert (tmp_path / "backup.ndjson").read_text().splitlines() == lines  # the guide's age-decrypt
    assert len(lines) == len(population) and all(parse_record(json.loads(line)) for line in lines)
    admins = [json.loads(line) for line in (tmp_path / "admins.ndjson").read_text().splitlines()]
    assert all(set(r) <= {"id", "email", "roles", "last_login_at"} for r in admins)
    assert (tmp_path / "auth0-users.json").exists() and (tmp_path / "auth0-report.ndjson").exists()


def test_the_example_line_is_an_import_record() -> None:
    line = next(b for b in _blocks("json") if '"external_id"' in b)
    assert parse_record(json.loads(line)).warnings == ()


async def test_the_api_example_body_is_accepted(client: httpx.AsyncClient, admin_headers: dict[str, str]) -> None:
    text = DOC.read_text(encoding="utf-8")
    body = json.loads(re.search(r"<!-- api-example -->\n```json\n(.*?)```", text, flags=re.S)[1])
    response = await client.post("/api/admin/v1/exports", headers=admin_headers, json=body)
    assert response.status_code == 202, response.text
