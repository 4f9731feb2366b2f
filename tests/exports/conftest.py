"""Fixtures for the export tests: a populated instance, a second fresh database, export helpers."""

from __future__ import annotations

import asyncio
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from authshift.config import load_settings
from authshift.migration.exports.bulk import ExportSummary, export_users
from authshift.migration.exports.options import parse_export_options
from authshift.migration.exports.output import open_output
from authshift.state import AppState, build_state
from tests.conftest import TEST_ENCRYPTION_KEY, TEST_SECRET
from tests.exports.population import Member, populate
from tests.support.databases import PostgresDatabase, SqliteTemplate
from tests.support.servers import run_cli


@pytest.fixture
def fresh_db_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A second empty, migrated database of the same backend (the instance users move to)."""
    if backend == "sqlite":
        template: SqliteTemplate = request.getfixturevalue("sqlite_template")
        directory = tmp_path / "fresh"
        directory.mkdir()
        yield template.fresh(directory)
        return
    request.getfixturevalue("postgres_database")  # skips when PostgreSQL is unreachable
    db = PostgresDatabase()
    db.create()
    try:
        yield db.url
    finally:
        db.drop()


def fresh_env(url: str, tmp_path: Path) -> dict[str, str]:
    """Another instance's environment: its own database and its own keys (nothing shared)."""
    return {
        "AUTHSHIFT_DATABASE_URL": url,
        "AUTHSHIFT_SECRETS_FILE": str(tmp_path / "fresh-secrets.json"),
        "AUTHSHIFT_DATA_DIR": str(tmp_path / "fresh-data"),
        "AUTHSHIFT_LOG_FORMAT": "json",
    }


async def fresh_state(url: str, tmp_path: Path, **keys: str) -> AppState:
    """The fresh instance's state; ``keys`` (``secret_key``, ``encryption_key``): the ones its own
    processes made (``fresh_env``), to read what they encrypted (a Firebase project's signer key)."""
    return build_state(load_settings(database_url=url, **keys))


@pytest.fixture
async def population(app: Any) -> list[Member]:
    return await populate(app.state.authshift)


async def export_to(state: AppState, path: Path, **options: Any) -> ExportSummary:
    """Run an export in this process (the service the CLI and the API call)."""
    parsed = parse_export_options(**options)
    report = open_output(path.with_suffix(".report.ndjson")) if parsed.format == "auth0" else None
    return await export_users(state.engine, parsed, open_output(path, parsed.recipients), ctx=state.accounts,
                              actor="tests", report=report, batch_size=7)


async def cli(args: list[str], env: dict[str, str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """The real ``authshift`` command, run from an async test without blocking its event loop
    (the app's background workers keep committing, so they never hold SQLite's lock meanwhile)."""
    return await asyncio.to_thread(run_cli, args, env, **kwargs)


async def finished_export(client: httpx.AsyncClient, headers: dict[str, str], job_id: str) -> dict[str, Any]:
    """The export job once it has completed or failed (polled through the admin API)."""
    for _ in range(300):
        job = (await client.get(f"/api/admin/v1/exports/{job_id}", headers=headers)).json()
        if job["state"] in ("completed", "failed"):
            return dict(job)
        await asyncio.sleep(0.05)
    raise AssertionError(f"export {job_id} did not finish: {job}")


def read_ndjson(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


__all__ = ["TEST_ENCRYPTION_KEY", "TEST_SECRET", "cli", "export_to", "fresh_env", "fresh_state", "read_ndjson"]
