"""Each queue's own rules on top of the shared lease: an export whose process stopped
``MAX_ATTEMPTS`` times is given up with the reason, not claimed again."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from authshift.ids import uuid7
from authshift.migration.exports.jobs import MAX_ATTEMPTS, run_one_job
from authshift.migration.exports.tables import export_jobs
from authshift.state import AppState
from authshift.storage.types import utcnow


async def test_an_export_that_keeps_dying_is_given_up_with_the_reason(state: AppState) -> None:
    job_id = uuid7()
    async with state.engine.begin() as conn:
        await conn.execute(export_jobs.insert().values(
            id=job_id, state="running", options={}, actor="test", created_at=utcnow(), attempts=MAX_ATTEMPTS, users=0,
            lease_owner="another-host:1:dead", lease_expires_at=utcnow() - timedelta(seconds=1)))
    assert not await run_one_job(state)
    async with state.engine.connect() as conn:
        row = (await conn.execute(sa.select(export_jobs).where(export_jobs.c.id == job_id))).mappings().one()
    assert row["state"] == "failed" and row["attempts"] == MAX_ATTEMPTS and row["lease_owner"] is None
    assert row["error"] == f"gave up after {MAX_ATTEMPTS} attempts (the process running it stopped each time)"
