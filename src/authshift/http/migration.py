"""Public migration API for applications: which login to show for a login ID."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from authshift.http.admin.schemas import FORMATS
from authshift.http.deps import State
from authshift.migration.rolling.lazy import MAX_LOGIN_ID_LENGTH, route

router = APIRouter(prefix="/api/migration/v1", tags=["migration"])


@router.get("/route", summary="Which system signs this login ID in: authshift or the legacy system")
async def route_login_id(
    state: State,
    login_id: str = Query(..., min_length=1, max_length=MAX_LOGIN_ID_LENGTH,
                          json_schema_extra={"format": "login-id", "description": FORMATS["login-id"]}),
) -> dict[str, Any]:
    return {"system": await route(state, login_id)}
