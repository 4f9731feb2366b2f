"""Admin API: sign-in readiness (``GET /api/admin/v1/migration/readiness``).

Without filters: the table (readiness x hash family x source, totals, shadow-check rates). With
``readiness``, ``hash_family`` and/or ``source``: the ids of the users in that cell, a page at a
time (``after`` = the previous page's ``next``).
"""

from __future__ import annotations

import uuid
from typing import Any, Literal

from fastapi import APIRouter, Query

from authshift.http.deps import Admin, State
from authshift.migration.readiness.report import cell_user_ids, readiness_table

router = APIRouter(prefix="/api/admin/v1/migration", tags=["migration"])


@router.get("/readiness", summary="Who can sign in here: readiness x hash family x source, or one cell's users")
async def get_readiness(
    _: Admin, state: State,
    readiness: Literal["ready", "lazy", "reset", "unverified"] | None = None,
    hash_family: str | None = Query(None, max_length=100),
    source: str | None = Query(None, max_length=200, description="'(none)' for users without a source"),
    after: uuid.UUID | None = None,
    limit: int = Query(100, ge=1, le=1000),
) -> dict[str, Any]:
    async with state.engine.connect() as conn:
        if readiness is None and hash_family is None and source is None:
            return await readiness_table(conn)
        return await cell_user_ids(conn, readiness=readiness, hash_family=hash_family, source=source,
                                   after=after, limit=limit)
