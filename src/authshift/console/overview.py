"""The Overview page: how far the migration has come (issue 16)."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi import APIRouter, Request
from starlette.responses import Response

from authshift.console.access import CurrentOperator
from authshift.console.rendering import render
from authshift.storage.db import reading
from authshift.storage.tables import users

router = APIRouter(include_in_schema=False)


@router.get("/console/")
async def overview(request: Request, operator: CurrentOperator) -> Response:
    async with reading(request.app.state.authshift.engine) as conn:
        total = (await conn.execute(sa.select(sa.func.count()).select_from(users))).scalar_one()
    return render(request, "overview.html", operator=operator, title="Overview", active="overview", total_users=total)
