"""docs/bulk-migration.md: its commands run as written, and its report example is what they print."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

from tests.imports.helpers import BCRYPT, BCRYPT_PASSWORD, read_ndjson, write_ndjson
from tests.support.servers import run_cli

DOC = Path(__file__).resolve().parents[2] / "docs" / "bulk-migration.md"


def shell_lines(text: str) -> list[str]:
    """The ``authshift ...`` lines of the document's sh code blocks (a pipe's right-hand side too)."""
    lines = []
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        for line in block.splitlines():
            line = line.split("#", 1)[0].strip() if not line.lstrip().startswith("printf") else line.strip()
            command = line.split("|", 1)[1].strip() if "|" in line else line
            if command.startswith("authshift "):
                lines.append(line)
    return lines


def test_the_guide_commands_work_as_written(settings_env: dict[str, str], tmp_path: Path) -> None:
    text = DOC.read_text(encoding="utf-8")
    over_ceiling = BCRYPT.replace("$10$", "$20$")
    write_ndjson(tmp_path / "users.ndjson", [
        {"email": "a@example.com", "given_name": "Ada", "password": {"hash": BCRYPT}},
        {"email": "b@example.com", "password": {"hash": BCRYPT}},
        {"email": "c@example.com", "password": {"hash": over_ceiling}},
    ])
    (tmp_path / "hashes.txt").write_text(f"{BCRYPT}\n{BCRYPT}\n{over_ceiling}\n")
    commands = shell_lines(text)
    expected = [
        "authshift db upgrade",
        "authshift hashes identify hashes.txt",
        "printf '%s' 'the test account password' | authshift hashes verify --hash \"$(head -n 1 hashes.txt)\"",
        "authshift import users.ndjson --dry-run --report dry-run.ndjson",
        "authshift import users.ndjson --report import-report.ndjson",
    ]
    assert [c for c in commands if c in expected] == expected
    for command in expected:
        if command.startswith("printf"):
            # the same command with this file's test account: its password comes on stdin
            first_hash = (tmp_path / "hashes.txt").read_text().splitlines()[0]
            result = run_cli(["hashes", "verify", "--hash", first_hash], settings_env, input=BCRYPT_PASSWORD, cwd=tmp_path)
            assert result.returncode == 0 and "match (bcrypt)" in result.stdout
            wrong = run_cli(["hashes", "verify", "--hash", first_hash], settings_env, input="the test account password",
                            cwd=tmp_path)
            assert wrong.returncode == 1
            continue
        result = run_cli(shlex.split(command)[1:], settings_env, cwd=tmp_path)
        if command.endswith("identify hashes.txt"):
            assert result.returncode == 1  # the third hash is over the bcrypt ceiling
            assert result.stdout.splitlines()[:2] == ["line 1: bcrypt", "line 2: bcrypt"]
            assert result.stdout.splitlines()[2].startswith("line 3: error:") and "ceiling" in result.stdout
            continue
        assert result.returncode == 0, f"{command}: {result.stdout}{result.stderr}"
    dry = read_ndjson(tmp_path / "dry-run.ndjson")
    example = json.loads(re.search(r"```json\n(.*?)\n```", text, re.S).group(1))  # type: ignore[union-attr]
    assert dry[2] == example
    report = read_ndjson(tmp_path / "import-report.ndjson")
    assert [r["outcome"] for r in report] == ["inserted", "inserted", "failed"]
    # the dry run said what would happen (would_insert, ...); the import did exactly that
    real_outcome = {"would_insert": "inserted", "would_update": "updated", "would_skip": "skipped", "failed": "failed"}
    assert [o["outcome"] for o in dry] == ["would_insert", "would_insert", "failed"]
    assert [(r["line"], r["outcome"], r["errors"]) for r in report] == [
        (r["line"], real_outcome[r["outcome"]], r["errors"]) for r in dry]
    listed = run_cli(["users", "list", "--migration-state", "imported"], settings_env, cwd=tmp_path)
    assert "users list --migration-state imported" in text
    assert listed.returncode == 0 and "a@example.com" in listed.stdout and "c@example.com" not in listed.stdout
