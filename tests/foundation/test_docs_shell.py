"""Every shell example of docs/*.md runs, as written, against a real server: a guide cannot drift.

Each ```sh block runs in bash (``-euo pipefail``) with the real ``authshift`` command on PATH, in
a folder holding the files the guide tells the reader to have, against ``authshift serve`` on the
test database. The test fills the placeholders a reader fills: the example hosts become the
server's URL, the example database URL the test database's, ``$ADMIN_KEY`` an admin key.

A block that cannot run says so in the Markdown, just above it, with the reason:
``<!-- not run: REASON -->`` (or, for a whole page, ``<!-- shell examples not run: REASON -->``).
A block whose last command is meant to fail gives its exit status: ``<!-- run: exit N -->``.
A block marked ``<!-- example: NAME -->`` is run by the test of its own guide (it needs files or a
legacy system that test makes: tests/readiness/test_readiness_docs.py, tests/passkeys/test_docs.py...).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import bcrypt
import pytest

from tests.support.servers import LiveServer, authshift_env, run_cli

DOCS = Path(__file__).resolve().parents[2] / "docs"
BLOCK = re.compile(r"(?:<!--\s*(?P<marker>[^\n]*?)\s*-->\s*\n)?^```(?:sh|bash|shell)\n(?P<body>.*?)^```", re.S | re.M)
PAGE_NOT_RUN = re.compile(r"<!--\s*shell examples not run:\s*(?P<reason>.+?)\s*-->")
EXAMPLE_HOSTS = ("https://auth.example.com", "https://login.example.com")
EXAMPLE_DATABASE = "postgresql://authshift@db.internal/authshift"
TEST_PASSWORD = "the test account password"


@dataclass(frozen=True)
class Block:
    doc: str
    number: int
    marker: str | None
    body: str

    @property
    def not_run_reason(self) -> str | None:
        if self.marker and self.marker.startswith("not run:"):
            return self.marker.removeprefix("not run:").strip()
        return None

    @property
    def run_elsewhere(self) -> bool:
        return bool(self.marker and re.match(r"example: [\w-]+", self.marker))

    @property
    def exit_status(self) -> int:
        found = re.fullmatch(r"run: exit (\d+)", self.marker or "")
        return int(found.group(1)) if found else 0


def blocks() -> Iterator[Block]:
    for doc in sorted(DOCS.glob("*.md")):
        text = doc.read_text(encoding="utf-8")
        for number, found in enumerate(BLOCK.finditer(text), start=1):
            yield Block(doc.name, number, found.group("marker"), found.group("body"))


def page_not_run(doc: str) -> str | None:
    found = PAGE_NOT_RUN.search((DOCS / doc).read_text(encoding="utf-8"))
    return found.group("reason") if found else None


def runnable_docs() -> list[str]:
    return sorted({b.doc for b in blocks() if b.not_run_reason is None and page_not_run(b.doc) is None})


def test_every_shell_example_is_run_or_says_why_not() -> None:
    seen = list(blocks())
    assert len(seen) >= 10  # the extraction finds the guides' blocks
    for block in seen:
        reason = block.not_run_reason or page_not_run(block.doc)
        if block.marker is not None and reason is None and not block.run_elsewhere:
            assert re.fullmatch(r"run: exit \d+", block.marker), f"{block.doc} block {block.number}: unknown marker"
        if reason is not None:
            assert len(reason) >= 20, f"{block.doc} block {block.number}: say why it is not run"
    assert {"bulk-migration.md", "export.md", "oidc.md"} <= set(runnable_docs())


def _bin(tmp_path: Path) -> Path:
    """A folder with an ``authshift`` command: this checkout's code, as `. .venv/bin/activate` gives."""
    folder = tmp_path / "bin"
    folder.mkdir()
    shim = folder / "authshift"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m authshift "$@"\n')
    shim.chmod(0o755)
    return folder


def _files_the_guides_assume(folder: Path) -> None:
    """What a reader has at hand when they reach the examples (their own export, their hashes)."""
    known = bcrypt.hashpw(TEST_PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()
    (folder / "users.ndjson").write_text(
        '{"email": "ada@example.com", "given_name": "Ada", "password": {"hash": "%s"}}\n'
        '{"email": "bob@example.com", "roles": ["admin"]}\n'
        '{"preferred_username": "carol", "external_id": "legacy-3"}\n' % known
    )
    (folder / "hashes.txt").write_text(f"{known}\n{known}\n")
    for system, names in (("shop", ("ann", "bob")), ("forum", ("cat", "dan"))):  # import-format.md#sources
        (folder / f"{system}-users.ndjson").write_text("".join(
            '{"external_id": "%d", "email": "%s@%s.example", "password": {"hash": "%s"}}\n' % (n, name, system, known)
            for n, name in enumerate(names, 1)))


def _fill(body: str, server: LiveServer, db_url: str) -> str:
    for host in EXAMPLE_HOSTS:
        body = body.replace(host, server.url)
    return body.replace(EXAMPLE_DATABASE, db_url)


@pytest.mark.parametrize("doc", runnable_docs())
def test_the_shell_examples_of_a_guide_run(doc: str, live_server: LiveServer, settings_env: dict[str, str],
                                           tmp_path: Path) -> None:
    folder = tmp_path / "reader"
    folder.mkdir()
    _files_the_guides_assume(folder)
    made = run_cli(["admin-keys", "create", "--allow-secrets"], settings_env)
    assert made.returncode == 0, made.stderr
    # the users a reader's instance has by then (export.md moves them, oidc.md's clients serve them)
    assert run_cli(["import", str(folder / "users.ndjson"), "--report", str(tmp_path / "seed.ndjson")],
                   settings_env).returncode == 0
    env = authshift_env(settings_env)
    env["PATH"] = f"{_bin(tmp_path)}{os.pathsep}{env['PATH']}"
    env["ADMIN_KEY"] = made.stdout.split('"key": "')[1].split('"')[0]
    ran = 0
    for block in blocks():
        if block.doc != doc or block.not_run_reason is not None or block.run_elsewhere:
            continue
        script = _fill(block.body, live_server, settings_env["AUTHSHIFT_DATABASE_URL"])
        done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=folder, env=env, capture_output=True,
                              text=True, timeout=300)
        assert done.returncode == block.exit_status, (
            f"{doc} block {block.number} exited {done.returncode}:\n{script}\n--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}"
        )
        ran += 1
    assert ran >= 1
    if doc == "export.md":  # the backup made with the guide's key pair, decrypted by the guide's command
        restored = (folder / "backup.ndjson").read_text().splitlines()
        assert len(restored) == 2 and '"ada@example.com"' in "".join(restored)  # carol has no email: not seeded
        assert oct((folder / "backup-key.txt").stat().st_mode & 0o777) == "0o600"
