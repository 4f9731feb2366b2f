"""Helpers of the import tests: files, running a job in-process, reading users back."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from authshift.accounts import users as svc
from authshift.app import create_app
from authshift.config import ImportSettings, Settings
from authshift.jobs.lease import owner_id
from authshift.migration.imports import jobs
from authshift.migration.imports.bulk import ImportSummary, dry_run_to_report, run_job
from authshift.migration.imports.source import ImportOptions
from authshift.security.admin_keys import create_admin_key
from authshift.state import AppState, build_state
from authshift.storage.tables import identities

BCRYPT = "$2a$10$fVH8e28OQRj9tqiDXs1e1uxpsjN0c7II7YPKXua2NAKYvM6iQk7dq"  # password "abcdefghijklmnopqrstuvwxyz"
BCRYPT_PASSWORD = "abcdefghijklmnopqrstuvwxyz"


def config(batch_size: int = 1000, **values: Any) -> ImportSettings:
    return ImportSettings(batch_size=batch_size, **values)


def write_ndjson(path: Path, records: Iterable[dict[str, Any] | str]) -> Path:
    with path.open("w", encoding="utf-8") as fh:
        for rec in records:
            fh.write((rec if isinstance(rec, str) else json.dumps(rec)) + "\n")
    return path


def read_ndjson(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@asynccontextmanager
async def admin_api(settings: Settings, *, migrate: bool = False) -> AsyncIterator[tuple[AppState, httpx.AsyncClient, dict[str, str]]]:
    """The app started with ``settings`` (its lifespan runs the import runner and the sweeps), an
    HTTP client to it, and the headers of a new admin key: for tests that need their own settings."""
    application = create_app(settings, migrate=migrate)
    async with application.router.lifespan_context(application):
        state = application.state.authshift
        async with state.engine.begin() as conn:
            key = await create_admin_key(conn, "tests")
        headers = {"Authorization": f"Bearer {key.plaintext}"}
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=application), base_url="http://127.0.0.1") as http:
            yield state, http, headers


@asynccontextmanager
async def app_state(settings: Settings) -> AsyncIterator[AppState]:
    state = build_state(settings)
    try:
        yield state
    finally:
        await state.close()


async def run_import(
    state: AppState, path: Path, *, batch_size: int = 1000, **options: Any
) -> tuple[ImportSummary, list[dict[str, Any]]]:
    """Run an import job (or a report-only dry run) in-process; returns the summary and the outcomes."""
    opts = ImportOptions(**options)
    if opts.dry_run and options.pop("report_only", True):
        lines: list[dict[str, Any]] = []
        summary = await dry_run_to_report(state.engine, state.accounts, path, opts, config=config(batch_size),
                                          on_outcomes=lambda ds: lines.extend(d.as_json() for d in ds))
        return summary, lines
    async with state.engine.begin() as conn:
        job_id = await jobs.create_job(
            conn, origin="cli", created_by="tests", options=opts.as_json(), file_path=str(path), file_name=path.name,
            file_digest=uuid.uuid4().hex, file_size=path.stat().st_size,
        )
    summary = await run_job(state.engine, state.accounts, job_id, owner=owner_id(), config=config(batch_size))
    return summary, [r async for r in jobs.iter_results(state.engine, job_id)]


async def user_by_email(state: AppState, email: str) -> dict[str, Any] | None:
    async with state.engine.connect() as conn:
        uid = await svc.find_user_id(conn, email)
        if uid is None:
            return None
        return (await svc.load_records(conn, [uid], include_secrets=True, ctx=state.accounts))[0]


async def count(state: AppState, table: sa.Table = identities, *where: Any) -> int:
    async with state.engine.connect() as conn:
        return int((await conn.execute(sa.select(sa.func.count()).select_from(table).where(*where))).scalar_one())


def summary_counts(stdout: str) -> dict[str, int]:
    """The counts of ``authshift import``'s summary ("  inserted    990" lines)."""
    counts = {}
    for line in stdout.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit():
            counts[parts[0]] = int(parts[1])
    return counts


def outcomes(results: list[dict[str, Any]]) -> list[str]:
    return [r["outcome"] for r in results]
