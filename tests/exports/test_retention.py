"""Retention of finished exports: their files leave the disk, the job stays and says so, and its
download answers 410 Gone; unfinished and recent exports, and files outside the export directory,
are left alone."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from authshift.migration.exports.jobs import create_export_job, expire_export_files, exports_dir
from authshift.migration.exports.options import parse_export_options
from authshift.migration.exports.tables import export_jobs
from authshift.retention import apply_retention
from authshift.state import AppState
from authshift.storage.types import utcnow
from tests.exports.conftest import finished_export

OLD = utcnow() - timedelta(days=8)  # past the default 7 days


@pytest.fixture
def settings_env(settings_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    return {**settings_env, "AUTHSHIFT_DATA_DIR": str(tmp_path / "data")}


async def backdate(state: AppState, job_id: str) -> None:
    async with state.engine.begin() as conn:
        await conn.execute(export_jobs.update().where(export_jobs.c.id == uuid.UUID(job_id)).values(finished_at=OLD))


async def test_an_expired_exports_files_are_removed_and_its_download_is_gone(
    app: Any, client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    state: AppState = app.state.authshift
    old = await finished_export(client, admin_headers, (await client.post(
        "/api/admin/v1/exports", headers=admin_headers, json={"format": "auth0"})).json()["id"])
    recent = await finished_export(client, admin_headers, (await client.post(
        "/api/admin/v1/exports", headers=admin_headers, json={"format": "ndjson"})).json()["id"])
    assert old["state"] == recent["state"] == "completed" and old["report"] and not old["files_expired"]
    old_files = sorted(exports_dir(state).glob(f"{old['id']}*"))
    assert len(old_files) == 2  # the export and its report
    await backdate(state, old["id"])

    await apply_retention(state)

    assert not any(path.exists() for path in old_files)
    expired = (await client.get(f"/api/admin/v1/exports/{old['id']}", headers=admin_headers)).json()
    assert expired["state"] == "completed" and expired["files_expired"] is True
    assert expired["download"] is None and expired["report"] is None
    for url in (old["download"], old["report"]):
        gone = await client.get(url, headers=admin_headers)
        assert gone.status_code == 410 and gone.headers["content-type"] == "application/problem+json"
        assert "export_files_days" in gone.json()["detail"] and "queue the export again" in gone.json()["detail"]
    assert (await client.get(recent["download"], headers=admin_headers)).status_code == 200
    assert (await client.delete(f"/api/admin/v1/exports/{old['id']}", headers=admin_headers)).status_code == 204


async def add_job(state: AppState, job_state: str, *, file: Path | None = None, finished_at: Any = OLD) -> uuid.UUID:
    async with state.engine.begin() as conn:
        job_id = await create_export_job(conn, parse_export_options(), actor="tests")
        await conn.execute(export_jobs.update().where(export_jobs.c.id == job_id).values(
            state=job_state, finished_at=finished_at if job_state in ("completed", "failed") else None,
            file_path=str(file) if file else None))
    return job_id


async def test_only_finished_files_inside_the_export_directory_are_removed_in_batches(
    state: AppState, tmp_path: Path
) -> None:
    directory = exports_dir(state)
    directory.mkdir(parents=True)

    def write(path: Path) -> Path:
        path.write_text("{}\n")
        return path

    inside = [write(directory / f"old-{i}.ndjson") for i in range(3)]
    outside = write(tmp_path / "elsewhere.ndjson")
    recent = write(directory / "recent.ndjson")
    expiring = [await add_job(state, "completed", file=path) for path in inside]
    expiring.append(await add_job(state, "completed", file=directory / "already-gone.ndjson"))
    expiring.append(await add_job(state, "completed", file=outside))
    kept = [await add_job(state, "completed", file=recent, finished_at=utcnow()),
            await add_job(state, "running"), await add_job(state, "failed")]

    assert await expire_export_files(state.engine, directory, finished_before=utcnow() - timedelta(days=7),
                                     batch_size=2) == len(expiring)

    assert not any(path.exists() for path in inside)
    assert outside.exists() and recent.exists()
    async with state.engine.connect() as conn:
        paths = dict((await conn.execute(sa.select(export_jobs.c.id, export_jobs.c.file_path))).all())
    assert all(paths[job_id] is None for job_id in expiring)
    assert paths[kept[0]] == str(recent)
