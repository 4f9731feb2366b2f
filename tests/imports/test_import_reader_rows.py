"""New users' rows built ahead by the import's reader (a separate process for large files) are
the rows the one mapping builds: an imported user reads back exactly like the same record
created through the accounts service, on both backends."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from authshift.accounts import users as svc
from authshift.config import Settings
from authshift.jobs.lease import owner_id
from authshift.migration.imports import jobs
from authshift.migration.imports.bulk import run_job
from authshift.records import parse_record, record_to_json
from tests.imports.helpers import BCRYPT, app_state, config, write_ndjson

RECORDS: list[dict[str, Any]] = [
    {"email": "Plain@Example.com", "given_name": "Ada", "password": {"hash": BCRYPT}},
    {"id": "0190a6e2-7c1e-7d3a-9b5e-2f1c3d4e5f60", "email": "own-id@example.com", "external_id": "legacy-7",
     "email_verified": True, "preferred_username": "Ada.L", "phone_number": "+14155550100",
     "phone_number_verified": True, "name": "Ada L", "locale": "en-GB", "address": {"country": "GB"},
     "custom_attributes": {"plan": "pro", "tier": 3, "tags": ["a", "b"], "nothing": None, "empty": ""},
     "roles": ["admin"], "groups": ["staff"], "disabled": True, "disabled_reason": "left",
     "created_at": "2020-02-03T04:05:06.789+02:00", "last_login_at": "2024-01-01T00:00:00Z",
     "password": {"hash": BCRYPT, "must_change": True, "expire_at": "2030-01-01T00:00:00Z"},
     "identities": [{"provider": "google", "subject": "1234", "email": "ada@gmail.com"}]},
    {"email": "lazy@example.com", "password_migration": "lazy", "source": "auth0"},
    {"email": "mfa@example.com", "mfa": {"totp": [{"secret": "JBSWY3DPEHPK3PXP"}], "email": "mfa@example.com",
                                         "recovery_codes": ["abc-123"]}},
]


def comparable(rec: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """The record without what differs between two creations (the id, when not given; the times of creation)."""
    drop = {"updated_at"} | ({"id"} if "id" not in given else set()) | ({"created_at"} if "created_at" not in given else set())
    return {k: v for k, v in rec.items() if k not in drop}


@pytest.mark.parametrize("reader_process", [True, False], ids=["process", "thread"])
async def test_imported_users_read_back_like_users_created_by_the_service(
    settings: Settings, tmp_path: Path, reader_process: bool
) -> None:
    path = write_ndjson(tmp_path / "u.ndjson", RECORDS)
    async with app_state(settings) as state:
        async with state.engine.begin() as conn:
            job_id = await jobs.create_job(
                conn, origin="cli", created_by="tests", options={}, file_path=str(path), file_name=path.name,
                file_digest=uuid.uuid4().hex, file_size=path.stat().st_size,
            )
        cfg = config(2, reader_process_min_bytes=0 if reader_process else 1 << 40)
        summary = await run_job(state.engine, state.accounts, job_id, owner=owner_id(), config=cfg)
        assert summary.counts.as_dict() == {"read": 4, "inserted": 4, "updated": 0, "skipped": 0, "failed": 0}
        results = [r async for r in jobs.iter_results(state.engine, job_id)]
        assert results[1]["user_id"] == RECORDS[1]["id"]
        async with state.engine.connect() as conn:
            imported = await svc.load_records(conn, [uuid.UUID(r["user_id"]) for r in results],
                                              include_secrets=True, ctx=state.accounts)
        async with state.engine.begin() as conn:
            for r in results:
                await svc.delete_user(conn, uuid.UUID(r["user_id"]))
        async with state.engine.begin() as conn:
            created = [await svc.create_user(conn, record_to_json(parse_record(rec).record), ctx=state.accounts,
                                             migration_state="imported") for rec in RECORDS]
        async with state.engine.connect() as conn:
            expected = await svc.load_records(conn, created, include_secrets=True, ctx=state.accounts)
    assert imported[1]["created_at"] == "2020-02-03T02:05:06.789000Z"
    assert imported[0]["migration_state"] == "imported"
    assert [comparable(r, g) for r, g in zip(imported, RECORDS, strict=False)] == [comparable(r, g) for r, g in zip(expected, RECORDS, strict=False)]


async def test_sqlite_connections_keep_their_settings_after_an_import(settings: Settings, tmp_path: Path) -> None:
    """An import writes its batches without SQLite's foreign-key checks and with a longer write-ahead
    log; the pool gets its connections back with the checks on and SQLite's checkpoint default."""
    path = write_ndjson(tmp_path / "u.ndjson", RECORDS)
    async with app_state(settings) as state:
        if state.engine.dialect.name != "sqlite":
            pytest.skip("SQLite's per-connection foreign-key switch")
        async with state.engine.begin() as conn:
            job_id = await jobs.create_job(
                conn, origin="cli", created_by="tests", options={}, file_path=str(path), file_name=path.name,
                file_digest=uuid.uuid4().hex, file_size=path.stat().st_size,
            )
        summary = await run_job(state.engine, state.accounts, job_id, owner=owner_id(), config=config(2))
        assert summary.counts.inserted == 4
        checked = [await state.engine.connect() for _ in range(3)]
        try:
            for conn in checked:
                await conn.execution_options(readonly=True)
                assert (await conn.exec_driver_sql("PRAGMA foreign_keys")).scalar() == 1
                assert (await conn.exec_driver_sql("PRAGMA wal_autocheckpoint")).scalar() == 1000
        finally:
            for conn in checked:
                await conn.close()
