"""Admin API: deliveries of events (webhooks and the legacy write-back), and migration progress."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from fastapi import APIRouter, Query

from authshift.audit import record_audit
from authshift.events import delivery as svc
from authshift.http.deps import Admin, Conn
from authshift.http.openapi import problems
from authshift.migration.stats import MAX_DAYS, migration_stats

router = APIRouter(prefix="/api/admin/v1", tags=["deliveries"])

MAX_PAGE = 500


@router.get("/deliveries", summary="List deliveries, newest first")
async def list_deliveries(
    _: Admin,
    conn: Conn,
    state: Literal["pending", "delivering", "delivered", "dead"] | None = None,
    target: str | None = Query(None, description='"legacy-writeback" or "webhook:<endpoint id>"'),
    event_type: str | None = None,
    event_id: uuid.UUID | None = None,
    limit: int = Query(50, ge=1, le=MAX_PAGE),
    cursor: uuid.UUID | None = Query(None, description="next_cursor of the previous page"),
) -> dict[str, Any]:
    page, next_cursor = await svc.list_deliveries(
        conn, svc.DeliveryFilter(state, target, event_type, event_id), limit=limit, before=cursor
    )
    return {"deliveries": page, "next_cursor": str(next_cursor) if next_cursor else None}


@router.get("/deliveries/{delivery_id}", summary="Get a delivery")
async def get_delivery(_: Admin, conn: Conn, delivery_id: uuid.UUID) -> dict[str, Any]:
    return await svc.get_delivery(conn, delivery_id)


@router.post("/deliveries/{delivery_id}/redeliver", summary="Send a delivery again with a fresh attempt budget",
             responses=problems(409))
async def redeliver(key: Admin, conn: Conn, delivery_id: uuid.UUID) -> dict[str, Any]:
    delivery = await svc.redeliver(conn, delivery_id)
    await record_audit(conn, actor=f"admin-key:{key.id}", action="delivery.redelivered", target=str(delivery_id))
    return delivery


@router.get("/migration/stats", summary="Users by migration_state and source, migrations per day, deliveries")
async def stats(_: Admin, conn: Conn, days: int = Query(30, ge=1, le=MAX_DAYS)) -> dict[str, Any]:
    return await migration_stats(conn, days=days)
