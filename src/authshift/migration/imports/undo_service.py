"""``authshift imports undo JOB_ID`` and ``POST /api/admin/v1/imports/{id}/undo``: one service.

``preview_undo`` says what undoing would do, writing nothing; ``undo_job`` does it in one
transaction, records it in the audit log and emits ``import.undone``. What counts as "signed in
since" and "changed since" is in ``import_undo``'s docstring: those users are listed, never
removed or restored. A job can be undone once; a job still running, or a dry run, cannot.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from authshift.accounts.context import AccountsContext
from authshift.audit import record_audit
from authshift.errors import Conflict
from authshift.events.outbox import emit
from authshift.migration.imports import jobs
from authshift.migration.imports.tables import import_jobs, import_results
from authshift.migration.imports.undo import restore_previous
from authshift.migration.readiness.store import refresh
from authshift.migration.readiness.tables import import_previous, user_readiness
from authshift.storage.bulk import in_values
from authshift.storage.tables import users
from authshift.storage.types import utcnow

__all__ = ["preview_undo", "undo_job"]

CHUNK = 1000


def _check(job: Mapping[str, Any]) -> None:
    if job["state"] in jobs.UNFINISHED:
        raise Conflict(f"import job {job['id']} is {job['state']}: cancel it or let it finish before undoing it")
    if dict(job["options"]).get("dry_run"):
        raise Conflict(f"import job {job['id']} is a dry run: it wrote no user, there is nothing to undo")
    if job["undone_at"] is not None:
        raise Conflict(f"import job {job['id']} was already undone at {job['undone_at'].isoformat()}")


async def _classify(conn: AsyncConnection, job: Mapping[str, Any], ids: list[uuid.UUID]) -> dict[str, list[uuid.UUID]]:
    """Split users into ``ok`` (untouched since the job), ``signed_in_since``, ``changed_since``, ``gone``."""
    started: datetime = job["started_at"] or job["created_at"]
    finished: datetime = job["finished_at"] or job["updated_at"]
    out: dict[str, list[uuid.UUID]] = {"ok": [], "signed_in_since": [], "changed_since": [], "gone": []}
    for i in range(0, len(ids), CHUNK):
        chunk = ids[i:i + CHUNK]
        found = {}
        q = (sa.select(users.c.id, users.c.last_login_at, users.c.updated_at, user_readiness.c.proved_at)
             .select_from(users.outerjoin(user_readiness, user_readiness.c.user_id == users.c.id))
             .where(in_values(conn.dialect, users.c.id, chunk)))
        for uid, last_login, updated, proved in (await conn.execute(q)).all():
            found[uid] = (last_login, updated, proved)
        for uid in chunk:
            if uid not in found:
                out["gone"].append(uid)
                continue
            last_login, updated, proved = found[uid]
            if (last_login is not None and last_login > started) or (proved is not None and proved > started):
                out["signed_in_since"].append(uid)
            elif updated is not None and updated > finished:
                out["changed_since"].append(uid)
            else:
                out["ok"].append(uid)
    return out


async def _plan(conn: AsyncConnection, job_id: uuid.UUID) -> tuple[Mapping[str, Any], dict[str, Any]]:
    job = await jobs.get_job(conn, job_id)
    _check(job)
    r = import_results.c
    inserted = list((await conn.execute(
        sa.select(r.user_id).where(r.job_id == job_id, r.outcome == "inserted").order_by(r.seq))).scalars())
    updated = list((await conn.execute(
        sa.select(import_previous.c.user_id).where(import_previous.c.job_id == job_id))).scalars())
    ins = await _classify(conn, job, inserted)
    upd = await _classify(conn, job, updated)
    plan = {
        "job_id": str(job_id),
        "remove": ins["ok"],
        "restore": upd["ok"],
        "signed_in_since": ins["signed_in_since"] + upd["signed_in_since"],
        "changed_since": ins["changed_since"] + upd["changed_since"],
        "gone": ins["gone"] + upd["gone"],
    }
    return job, plan


def _view(plan: Mapping[str, Any], *, done: bool, not_restored: list[uuid.UUID] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"job_id": plan["job_id"], "dry_run": not done}
    for key in ("remove", "restore", "signed_in_since", "changed_since", "gone"):
        out[key] = {"count": len(plan[key]), "user_ids": [str(u) for u in plan[key]]}
    if not_restored is not None:
        out["not_restored"] = {"count": len(not_restored), "user_ids": [str(u) for u in not_restored]}
    return out


async def preview_undo(conn: AsyncConnection, job_id: uuid.UUID) -> dict[str, Any]:
    """What undoing the job would remove, restore and leave (listing who signed in or changed since)."""
    _, plan = await _plan(conn, job_id)
    return _view(plan, done=False)


async def undo_job(conn: AsyncConnection, job_id: uuid.UUID, *, actor: str, ctx: AccountsContext) -> dict[str, Any]:
    """Undo the job (see the module docstring); returns what was done, in the preview's shape."""
    job, plan = await _plan(conn, job_id)
    for i in range(0, len(plan["remove"]), CHUNK):
        await conn.execute(users.delete().where(in_values(conn.dialect, users.c.id, plan["remove"][i:i + CHUNK])))
    previous = {uid: p for uid, p in (await conn.execute(
        sa.select(import_previous.c.user_id, import_previous.c.previous).where(import_previous.c.job_id == job_id))).all()}
    not_restored: list[uuid.UUID] = []
    restored: list[uuid.UUID] = []
    for uid in plan["restore"]:
        try:
            async with conn.begin_nested():
                await restore_previous(conn, uid, previous[uid])
            restored.append(uid)
        except IntegrityError:  # a login ID it had is someone else's now
            not_restored.append(uid)
    await refresh(conn, restored, ctx)
    await conn.execute(import_jobs.update().where(import_jobs.c.id == job_id).values(undone_at=utcnow()))
    plan["restore"] = restored
    view = _view(plan, done=True, not_restored=not_restored)
    counts = {k: v["count"] for k, v in view.items() if isinstance(v, dict)}
    await record_audit(conn, actor=actor, action="import.undone", target=str(job_id), details={"counts": counts})
    await emit(conn, "import.undone", {"id": str(job_id), "file": job["file_name"], "counts": counts}, subject=str(job_id))
    return view
