"""Readiness as people read it: an import job's counts, the instance's table (readiness x hash
family x source, with the shadow-check rates), and the user ids behind one cell.

The CLI (``authshift migration readiness``, ``authshift import``'s summary) and the admin API
(``GET /api/admin/v1/migration/readiness``, the import job JSON) render what this returns.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from authshift.migration.imports.tables import import_results
from authshift.migration.readiness.tables import READINESS_STATES as READY_STATES
from authshift.migration.readiness.tables import shadow_checks, user_readiness
from authshift.storage.tables import users

__all__ = ["NO_SOURCE", "cell_user_ids", "counts_of", "job_counts", "lazy_warning", "readiness_table"]

NO_SOURCE = "(none)"  # how a user without a source is shown and asked for
MAX_PAGE = 1000


def counts_of(pairs: Iterable[tuple[str | None, str | None]]) -> dict[str, dict[str, int]]:
    """``{"by_readiness": {...}, "by_hash_family": {...}}`` of (readiness, family) pairs."""
    by_readiness: Counter[str] = Counter()
    by_family: Counter[str] = Counter()
    for readiness, family in pairs:
        if readiness is None:
            continue
        by_readiness[readiness] += 1
        by_family[family or "none"] += 1
    return {"by_readiness": {r: by_readiness.get(r, 0) for r in READY_STATES},
            "by_hash_family": dict(sorted(by_family.items()))}


async def job_counts(conn: AsyncConnection, job_id: uuid.UUID) -> dict[str, dict[str, int]]:
    """Counts by readiness and by hash family of the users a job inserted or updated."""
    r = import_results.c
    rows = await conn.execute(
        sa.select(r.readiness, r.hash_family, sa.func.count())
        .where(r.job_id == job_id, r.readiness.is_not(None)).group_by(r.readiness, r.hash_family)
    )
    by_readiness: Counter[str] = Counter()
    by_family: Counter[str] = Counter()
    for readiness, family, n in rows.all():
        by_readiness[readiness] += n
        by_family[family or "none"] += n
    return {"by_readiness": {x: by_readiness.get(x, 0) for x in READY_STATES},
            "by_hash_family": dict(sorted(by_family.items()))}


def lazy_warning(counts: Mapping[str, Mapping[str, int]] | None, legacy_verify_configured: bool) -> str | None:
    """The job's warning when users need the legacy system and none is configured to ask."""
    lazy = (counts or {}).get("by_readiness", {}).get("lazy", 0)
    if lazy and not legacy_verify_configured:
        return (f"{lazy} users have no usable password here and need the legacy system to verify it, but no "
                "[migration.legacy] verify_url is configured: they cannot sign in until it is (or they reset)")
    return None


async def readiness_table(conn: AsyncConnection) -> dict[str, Any]:
    """Every (readiness, hash family, source) cell with its user count, the totals by readiness,
    and the shadow checks per (hash family, source) with their mismatch rate."""
    ur = user_readiness.c
    source = sa.func.coalesce(users.c.source, NO_SOURCE)
    rows = await conn.execute(
        sa.select(ur.readiness, ur.family, source.label("source"), sa.func.count())
        .select_from(user_readiness.join(users, users.c.id == ur.user_id))
        .group_by(ur.readiness, ur.family, source).order_by(ur.readiness, ur.family, source)
    )
    cells = [{"readiness": r, "hash_family": f, "source": s, "users": n} for r, f, s, n in rows.all()]
    totals = {x: sum(c["users"] for c in cells if c["readiness"] == x) for x in READY_STATES}
    sc = shadow_checks.c
    shadow_source = sa.func.coalesce(sc.source, NO_SOURCE)
    mismatched = sa.func.sum(sa.case((sc.matched.is_(False), 1), else_=0))
    shadow = [
        {"hash_family": f, "source": s, "checks": n, "mismatches": int(m or 0),
         "mismatch_rate": round(int(m or 0) / n, 4) if n else 0.0}
        for f, s, n, m in (await conn.execute(
            sa.select(sc.family, shadow_source, sa.func.count(), mismatched)
            .group_by(sc.family, shadow_source).order_by(sc.family, shadow_source)
        )).all()
    ]
    return {"cells": cells, "totals": totals, "users": sum(totals.values()), "shadow": shadow}


async def cell_user_ids(
    conn: AsyncConnection, *, readiness: str | None = None, hash_family: str | None = None, source: str | None = None,
    after: uuid.UUID | None = None, limit: int = 100,
) -> dict[str, Any]:
    """The ids of the users in one cell (any of its three parts may be left out), in id order, a page
    at a time: ``next`` is the ``after`` of the next page (None on the last)."""
    ur = user_readiness.c
    q = (sa.select(ur.user_id, ur.reason).select_from(user_readiness.join(users, users.c.id == ur.user_id))
         .order_by(ur.user_id).limit(min(max(limit, 1), MAX_PAGE) + 1))
    if readiness is not None:
        q = q.where(ur.readiness == readiness)
    if hash_family is not None:
        q = q.where(ur.family == hash_family)
    if source is not None:
        q = q.where(users.c.source.is_(None) if source == NO_SOURCE else users.c.source == source)
    if after is not None:
        q = q.where(ur.user_id > after)
    rows = (await conn.execute(q)).all()
    page = rows[:min(max(limit, 1), MAX_PAGE)]
    return {"users": [{"id": str(uid), "reason": reason} for uid, reason in page],
            "next": str(page[-1][0]) if len(rows) > len(page) else None}
