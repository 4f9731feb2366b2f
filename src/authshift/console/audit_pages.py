"""The Audit log page: every entry, newest first, filtered by actor, action and user, in pages.

Filters are exact matches served by indexes (``actor``, ``action``, ``target``); the user filter
takes what the Users search takes (email, username, phone, external id, id) and lists the entries
whose target is that user. Pages are keyset-paginated on the entry id (time-ordered UUIDv7).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Request
from starlette.responses import Response

from authshift.console.access import CurrentOperator
from authshift.console.rendering import render
from authshift.console.user_lookup import MAX_QUERY, search_users
from authshift.storage.db import reading
from authshift.storage.tables import audit_log

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50


def _details(value: Any) -> str:
    if isinstance(value, str):
        value = json.loads(value)
    return "" if not value else json.dumps(value, ensure_ascii=False, sort_keys=True)


@router.get("/console/audit")
async def audit_page(request: Request, operator: CurrentOperator, actor: str = "", action: str = "", user: str = "",
                     before: str = "") -> Response:
    actor, action, user = actor.strip()[:MAX_QUERY], action.strip()[:MAX_QUERY], user.strip()[:MAX_QUERY]
    a = audit_log.c
    query = sa.select(a.id, a.at, a.actor, a.action, a.target, a.details).order_by(a.id.desc()).limit(PAGE_SIZE + 1)
    unknown_user = False
    async with reading(request.app.state.authshift.engine) as conn:
        if actor:
            query = query.where(a.actor == actor)
        if action:
            query = query.where(a.action == action)
        if user:
            found = await search_users(conn, user)
            targets = [str(u) for u in found] or [user]  # a deleted user's id is still a target
            unknown_user = not found
            query = query.where(a.target.in_(targets))
        try:
            query = query.where(a.id < uuid.UUID(before)) if before else query
        except ValueError:
            pass
        rows = [dict(r) for r in (await conn.execute(query)).mappings()]
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    for row in rows:
        row["details_text"] = _details(row["details"])
    return render(request, "audit.html", operator=operator, title="Audit log", active="audit", entries=rows,
                  actor=actor, action=action, user=user, unknown_user=unknown_user,
                  next_before=str(rows[-1]["id"]) if more and rows else None, first_page=not before)
