"""Import jobs in-process on SQLite and PostgreSQL: modes, matching, duplicates, bad lines,
dry runs that say exactly what a real run does, resume points and leases."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from authshift import passwords
from authshift.accounts import users as svc
from authshift.config import Settings
from authshift.errors import Conflict
from authshift.events.outbox import events
from authshift.jobs.lease import owner_id
from authshift.migration.imports import jobs
from authshift.migration.imports.bulk import NO_RECORDS, ImportSummary, run_job
from authshift.migration.imports.tables import import_jobs as import_jobs_table
from authshift.storage.tables import passwords as passwords_table
from authshift.storage.tables import users
from tests.imports.helpers import (
    BCRYPT,
    BCRYPT_PASSWORD,
    app_state,
    config,
    count,
    outcomes,
    run_import,
    user_by_email,
    write_ndjson,
)

ARGON2 = passwords.hash_password("s3cret-argon").value


async def seed(state, rec: dict) -> str:  # type: ignore[no-untyped-def]
    async with state.engine.begin() as conn:
        return str(await svc.create_user(conn, rec, ctx=state.accounts))


async def test_insert_skips_existing_users_and_imports_new_ones(settings: Settings, tmp_path: Path) -> None:
    async with app_state(settings) as state:
        existing = await seed(state, {"email": "foo@x.com", "given_name": "Old"})
        path = write_ndjson(tmp_path / "u.ndjson", [
            {"email": "Foo@X.com", "given_name": "New"},
            {"email": "bar@x.com", "given_name": "Bar", "password": {"hash": BCRYPT}, "custom_attributes": {"plan": "pro"}},
        ])
        summary, results = await run_import(state, path)
        assert summary.state == "completed" and summary.counts.as_dict() == {
            "read": 2, "inserted": 1, "updated": 0, "skipped": 1, "failed": 0}
        assert results[0]["outcome"] == "skipped" and results[0]["user_id"] == existing
        assert "already exists" in results[0]["reason"]
        foo = await user_by_email(state, "foo@x.com")
        assert foo is not None and foo["given_name"] == "Old" and foo["migration_state"] == "native"
        bar = await user_by_email(state, "BAR@x.com")
        assert bar is not None and bar["id"] == results[1]["user_id"]
        assert bar["migration_state"] == "imported" and bar["custom_attributes"] == {"plan": "pro"}
        assert bar["password"] == {"hash": BCRYPT}  # the legacy hash is kept as given
        stored = passwords.StoredPassword("bcrypt", bar["password"]["hash"])
        assert passwords.verify(BCRYPT_PASSWORD, stored).ok


async def test_upsert_updates_present_fields_and_null_removes(settings: Settings, tmp_path: Path) -> None:
    async with app_state(settings) as state:
        existing = await seed(state, {"email": "foo@x.com", "given_name": "Old", "family_name": "Keep",
                                      "nickname": "Nick", "custom_attributes": {"a": 1}, "phone_number": "+14155550100"})
        path = write_ndjson(tmp_path / "u.ndjson", [
            {"email": "FOO@x.com", "given_name": "New", "nickname": None, "phone_number": None,
             "password": {"hash": ARGON2, "must_change": True}, "roles": ["admin"]},
            {"email": "new@x.com", "name": "Newcomer"},
        ])
        summary, results = await run_import(state, path, mode="upsert")
        assert outcomes(results) == ["updated", "inserted"] and summary.counts.updated == 1
        assert results[0]["user_id"] == existing
        foo = await user_by_email(state, "foo@x.com")
        assert foo is not None
        assert foo["given_name"] == "New" and foo["family_name"] == "Keep" and "nickname" not in foo
        assert "phone_number" not in foo and foo["custom_attributes"] == {"a": 1} and foo["roles"] == ["admin"]
        assert foo["password"] == {"hash": ARGON2, "must_change": True}
        assert foo["migration_state"] == "native"  # not said by the record: unchanged
        assert await count(state) == 2  # identities: foo's email (phone removed) and new@x.com


async def test_update_touches_only_existing_users(settings: Settings, tmp_path: Path) -> None:
    async with app_state(settings) as state:
        existing = await seed(state, {"email": "foo@x.com", "external_id": "E1"})
        path = write_ndjson(tmp_path / "u.ndjson", [
            {"external_id": "E1", "email": "renamed@x.com", "given_name": "Renamed"},
            {"external_id": "E2", "email": "ghost@x.com"},
        ])
        _, results = await run_import(state, path, mode="update", identifier="external_id")
        assert outcomes(results) == ["updated", "skipped"] and results[1]["user_id"] is None
        assert "update mode" in results[1]["reason"]
        assert await user_by_email(state, "foo@x.com") is None
        renamed = await user_by_email(state, "renamed@x.com")
        assert renamed is not None and renamed["id"] == existing and renamed["email_verified"] is False
        assert await user_by_email(state, "ghost@x.com") is None


async def test_duplicates_in_one_file_are_reported_across_batches(settings: Settings, tmp_path: Path) -> None:
    async with app_state(settings) as state:
        path = write_ndjson(tmp_path / "u.ndjson", [
            {"email": "a@x.com", "given_name": "First"},
            {"email": "b@x.com"},
            {"email": "c@x.com"},
            {"email": "A@X.COM", "given_name": "Second"},  # batch 2 (batch size 2): line 1 is in the database
            {"email": "b@x.com"},  # batch 3
        ])
        _, results = await run_import(state, path, mode="upsert", batch_size=2)
        assert outcomes(results) == ["inserted", "inserted", "inserted", "failed", "failed"]
        assert results[3]["errors"] == [{"path": "email", "message": "duplicate of line 1"}]
        assert results[4]["errors"] == [{"path": "email", "message": "duplicate of line 2"}]
        first = await user_by_email(state, "a@x.com")
        assert first is not None and first["given_name"] == "First"
        assert await count(state, users) == 3


async def test_bad_lines_fail_with_their_line_numbers_while_good_lines_import(settings: Settings, tmp_path: Path) -> None:
    over_ceiling = BCRYPT.replace("$10$", "$31$")
    path = tmp_path / "u.ndjson"
    path.write_text("\n".join([
        json.dumps({"email": "good1@x.com", "password": {"hash": BCRYPT}}),
        '{"email": "broken@x.com", ',
        "",
        json.dumps({"email": "types@x.com", "email_verified": "yes", "roles": "admin"}),
        json.dumps({"email": "unknown@x.com", "password": {"hash": "md4$c0ffee"}}),
        json.dumps({"email": "ceiling@x.com", "password": {"hash": over_ceiling}}),
        json.dumps({"email": "good2@x.com", "shoe_size": 44}),
    ]) + "\n")
    async with app_state(settings) as state:
        summary, results = await run_import(state, path)
        by_line = {r["line"]: r for r in results}
        assert sorted(by_line) == [1, 2, 4, 5, 6, 7]
        assert [by_line[n]["outcome"] for n in (1, 2, 4, 5, 6, 7)] == [
            "inserted", "failed", "failed", "failed", "failed", "inserted"]
        assert "broken JSON" in by_line[2]["errors"][0]["message"]
        assert {e["path"] for e in by_line[4]["errors"]} == {"email_verified", "roles"}
        assert by_line[5]["errors"][0]["path"] == "password"
        assert by_line[6]["errors"][0]["path"] == "password" and "ceiling" in by_line[6]["errors"][0]["message"]
        assert by_line[7]["warnings"] == [{"path": "shoe_size", "message": "unknown field, ignored"}]
        assert summary.counts.failed == 4 and summary.counts.inserted == 2
        assert await user_by_email(state, "ceiling@x.com") is None  # never a user who cannot sign in
        assert over_ceiling not in json.dumps(results) and "c0ffee" not in json.dumps(results)
        assert by_line[6]["record"]["password"]["hash"] == "[redacted]"


@pytest.mark.parametrize("content", ["", "\n\n  \n", "[]"])
async def test_a_file_without_records_fails_the_job(settings: Settings, tmp_path: Path, content: str) -> None:
    path = tmp_path / "empty.ndjson"
    path.write_text(content)
    async with app_state(settings) as state:
        summary, results = await run_import(state, path)
        assert summary.state == "failed" and summary.error == NO_RECORDS and results == []
        async with state.engine.connect() as conn:
            row = (await conn.execute(sa.select(import_jobs_table))).mappings().one()
            assert row["state"] == "failed" and row["error"] == NO_RECORDS
            kinds = [e for (e,) in (await conn.execute(sa.select(events.c.type))).all()]
        assert kinds == ["import.failed"]


async def test_dry_run_reports_exactly_what_the_real_run_does(settings: Settings, tmp_path: Path) -> None:
    async with app_state(settings) as state:
        await seed(state, {"email": "old@x.com", "external_id": "E9", "given_name": "Old"})
        records = [
            {"external_id": "E9", "email": "moved@x.com"},  # frees old@x.com ...
            {"external_id": "E1", "email": "a@x.com"},
            {"external_id": "E2", "email": "old@x.com"},  # ... which a later batch takes
            {"external_id": "E1", "email": "a2@x.com"},  # duplicate of line 2, in another batch
            {"external_id": "E3", "email": "a@x.com"},  # a@x.com belongs to the user of line 2
            {"external_id": "E4", "email": "b@x.com", "password": {"hash": "nope"}},
            {"external_id": "E5", "email": "B@x.com"},
        ]
        path = write_ndjson(tmp_path / "u.ndjson", records)
        dry, dry_results = await run_import(state, path, mode="upsert", identifier="external_id", dry_run=True,
                                            batch_size=2)
        assert await count(state, users) == 1 and await count(state, import_jobs_table) == 0
        real, real_results = await run_import(state, path, mode="upsert", identifier="external_id", batch_size=2)

        def comparable(rows: list[dict]) -> list[tuple]:  # type: ignore[type-arg]
            return [(r["line"], r["outcome"], json.dumps(r["errors"]), r.get("reason")) for r in rows]

        assert comparable(dry_results) == comparable(real_results)
        assert outcomes(real_results) == ["updated", "inserted", "inserted", "failed", "failed", "failed", "inserted"]
        assert "line 2" in real_results[4]["errors"][0]["message"]
        assert dry.counts == real.counts and dry.dry_run and dry.job_id is None
        # updated users keep their id in the dry run too
        assert dry_results[0]["user_id"] == real_results[0]["user_id"]


async def test_records_may_keep_their_migration_state(settings: Settings, tmp_path: Path) -> None:
    path = write_ndjson(tmp_path / "u.ndjson", [
        {"email": "m@x.com", "migration_state": "migrated", "password": {"hash": ARGON2}},
        {"email": "i@x.com"},
    ])
    async with app_state(settings) as state:
        await run_import(state, path)
        migrated, imported = await user_by_email(state, "m@x.com"), await user_by_email(state, "i@x.com")
        assert migrated is not None and migrated["migration_state"] == "migrated"
        assert imported is not None and imported["migration_state"] == "imported"
        async with state.engine.connect() as conn:
            fmt = (await conn.execute(sa.select(passwords_table.c.format))).scalar_one()
        assert fmt == "argon2id"
        async with state.engine.connect() as conn:
            kinds = [e for (e,) in (await conn.execute(sa.select(events.c.type))).all()]
        assert kinds == ["import.completed"]  # one event per job, no user.created per user


async def test_a_job_held_by_a_live_process_is_not_run_twice(settings: Settings, tmp_path: Path) -> None:
    path = write_ndjson(tmp_path / "u.ndjson", [{"email": "a@x.com"}])
    async with app_state(settings) as state:
        async with state.engine.begin() as conn:
            job_id = await jobs.create_job(conn, origin="cli", created_by="tests", options={}, file_path=str(path),
                                           file_name="u.ndjson", file_digest="d", file_size=1)
            await jobs.claim_job(conn, job_id, "another-host:123:abcd", 60)
        with pytest.raises(Conflict, match="another process"):
            await run_job(state.engine, state.accounts, job_id, owner=owner_id(), config=config(10))
        async with state.engine.begin() as conn:  # its lease expires: the job can be taken over
            await conn.execute(import_jobs_table.update().values(lease_expires_at=None))
        summary = await run_job(state.engine, state.accounts, job_id, owner=owner_id(), config=config(10))
        assert summary.state == "completed" and summary.counts.inserted == 1


async def test_a_stopped_job_resumes_after_its_last_committed_batch(settings: Settings, tmp_path: Path) -> None:
    path = write_ndjson(tmp_path / "u.ndjson", [{"email": f"u{n}@x.com"} for n in range(10)])
    async with app_state(settings) as state:
        async with state.engine.begin() as conn:
            job_id = await jobs.create_job(conn, origin="cli", created_by="tests", options={}, file_path=str(path),
                                           file_name="u.ndjson", file_digest="d", file_size=1)
        first = await run_job(state.engine, state.accounts, job_id, owner=owner_id(), config=config(3),
                              should_stop=lambda: True)
        assert first.state == "running" and first.counts.read == 3
        async with state.engine.connect() as conn:
            row = await jobs.get_job(conn, job_id)
        assert row["last_line"] == 3 and row["inserted"] == 3
        second = await run_job(state.engine, state.accounts, job_id, owner=owner_id(), config=config(3))
        assert second.state == "completed" and second.counts.as_dict() == {
            "read": 10, "inserted": 10, "updated": 0, "skipped": 0, "failed": 0}
        assert await count(state, users) == 10
        results = [r async for r in jobs.iter_results(state.engine, job_id)]
        assert [r["line"] for r in results] == list(range(1, 11))


async def test_two_jobs_racing_on_the_same_users_write_each_user_once(settings: Settings, tmp_path: Path) -> None:
    """Both jobs classify a batch as new users before either writes it: the loser's write hits the
    unique constraints, and that batch is classified again (its users are skipped, never doubled).
    Small batches give many interleavings a chance; every record is inserted or skipped, none fails."""
    records = [{"email": f"race{n}@x.com", "external_id": f"r{n}"} for n in range(600)]
    first = write_ndjson(tmp_path / "a.ndjson", records)
    second = write_ndjson(tmp_path / "b.ndjson", records)
    async with app_state(settings) as state:
        (a, a_results), (b, b_results) = await asyncio.gather(run_import(state, first, batch_size=5),
                                                              run_import(state, second, batch_size=5))
        assert a.state == b.state == "completed"
        assert [r for r in a_results + b_results if r["outcome"] not in ("inserted", "skipped")] == []
        assert a.counts.inserted + b.counts.inserted == 600 and a.counts.skipped + b.counts.skipped == 600
        assert a.counts.failed == b.counts.failed == 0
        assert await count(state, users) == 600 and await count(state) == 600


@pytest.mark.parametrize("identifier", ["email", "external_id"])
async def test_a_batch_committed_between_the_lookups_of_a_classification_is_seen_whole(
    settings: Settings, tmp_path: Path, identifier: str
) -> None:
    """A classification looks up who owns a batch's keys with one query per key kind. Here another
    job's batch of the same users commits between the two lookups (on PostgreSQL at READ COMMITTED
    this made the race above report a batch failed, "another user already has this external_id",
    instead of skipped): both lookups must see one state of the database, so that the write
    conflicts, the batch is classified again and its records are skipped. Which kind is looked up
    second follows the hash seed (the keys are a set); the key looked up second makes a record fail
    when it is not the identifier, so one of the two identifiers meets the window whatever the seed."""
    records = [{"email": f"between{n}@x.com", "external_id": f"b{n}"} for n in range(50)]
    first = write_ndjson(tmp_path / "a.ndjson", records)
    second = write_ndjson(tmp_path / "b.ndjson", records)
    async with app_state(settings) as state:
        lookups = 0
        other: list[tuple[ImportSummary, list[dict[str, Any]]]] = []

        def other_job_commits_before_the_second_lookup(conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
            nonlocal lookups
            if statement.startswith(("SELECT identities.value, identities.user_id", "SELECT users.source, users.external_id, users.id")):
                lookups += 1
                if lookups == 2:  # the other job's own lookups count on from 3: it runs once
                    other.append(sa.util.await_only(run_import(state, second, identifier=identifier)))

        sa.event.listen(state.engine.sync_engine, "before_cursor_execute", other_job_commits_before_the_second_lookup)
        try:
            racer, results = await run_import(state, first, identifier=identifier)
        finally:
            sa.event.remove(state.engine.sync_engine, "before_cursor_execute", other_job_commits_before_the_second_lookup)
        [(winner, winner_results)] = other
        assert winner.counts.as_dict() == {"read": 50, "inserted": 50, "updated": 0, "skipped": 0, "failed": 0}
        assert racer.state == "completed" and racer.counts.as_dict() == {
            "read": 50, "inserted": 0, "updated": 0, "skipped": 50, "failed": 0}, results[0]["errors"]
        assert [r["user_id"] for r in results] == [r["user_id"] for r in winner_results]
        assert await count(state, users) == 50 and await count(state) == 50
