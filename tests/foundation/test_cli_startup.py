"""The command line starts without the web application or the database layer where it needs neither.

Not a timing test (bench/bench_cli_startup.py measures the time): what is asserted is which modules
a command imported, read from ``sys.modules`` in the real process.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from authshift.cli.main import COMMANDS, app, load_command
from tests.support.servers import authshift_env

HEAVY = ("fastapi", "starlette", "sqlalchemy", "alembic", "uvicorn", "asyncpg", "aiosqlite", "authshift.app",
         "authshift.state", "authshift.storage")
BCRYPT = "$2a$10$fVH8e28OQRj9tqiDXs1e1uxpsjN0c7II7YPKXua2NAKYvM6iQk7dq"

PROBE = """
import json, runpy, sys
args, out = json.loads(sys.argv[1]), sys.argv[2]
sys.argv = ["authshift", *args]
try:
    if args == ["<import>"]:
        import authshift.cli.main
    else:
        runpy.run_module("authshift", run_name="__main__")
except SystemExit as exc:
    code = exc.code
else:
    code = 0
with open(out, "w") as fh:
    json.dump({"code": code, "modules": sorted(sys.modules)}, fh)
"""


def imported_by(args: list[str], tmp_path: Path, stdin: str = "") -> list[str]:
    out = tmp_path / "modules.json"
    done = subprocess.run([sys.executable, "-c", PROBE, json.dumps(args), str(out)], env=authshift_env({}),
                          input=stdin, capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads(out.read_text())
    assert result["code"] in (0, None), (args, done.stdout, done.stderr)
    return [m for m in result["modules"] if m.split(".")[0] in HEAVY or m.startswith(HEAVY)]


@pytest.mark.parametrize(
    ("args", "stdin"),
    [
        (["<import>"], ""),
        (["--help"], ""),
        (["--version"], ""),
        (["hashes", "--help"], ""),
        (["hashes", "identify"], BCRYPT + "\n"),
        (["hashes", "verify", "--hash", BCRYPT], "abcdefghijklmnopqrstuvwxyz\n"),
    ],
)
def test_fast_commands_import_neither_the_web_app_nor_the_database_layer(
    args: list[str], stdin: str, tmp_path: Path
) -> None:
    assert imported_by(args, tmp_path, stdin) == []
    assert list(tmp_path.iterdir()) == [tmp_path / "modules.json"]  # and wrote nothing


def test_every_command_is_listed_and_loads() -> None:
    result = CliRunner().invoke(app, ["--help"], terminal_width=80)
    assert result.exit_code == 0
    for name in COMMANDS:
        assert name in result.output
        assert load_command(name).name == name


def _help_pages(command: object, path: list[str]) -> list[list[str]]:
    pages = [path]
    for name, sub in getattr(command, "commands", {}).items():
        pages += _help_pages(sub, [*path, name])
    return pages


@pytest.mark.parametrize("name", list(COMMANDS))
def test_help_names_plain_types_and_fits_80_columns(name: str) -> None:
    """``<bool>``, ``<list[str]>``, ``<FileText>`` are Python's names, not the user's."""
    for page in _help_pages(load_command(name), [name]):
        result = CliRunner().invoke(app, [*page, "--help"], terminal_width=80)
        assert result.exit_code == 0, (page, result.output)
        assert "<" not in result.output.replace("<=", ""), (page, result.output)
        assert max(len(line) for line in result.output.splitlines()) <= 80, page
