"""Admin API: webhook endpoints (the secret is shown once, on create and on rotate)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Body, Response

from authshift.audit import record_audit
from authshift.errors import InvalidInput
from authshift.events import webhooks as svc
from authshift.http.admin.schemas import webhook_body
from authshift.http.deps import Admin, Conn, State
from authshift.security.secretbox import SecretBox
from authshift.state import AppState

router = APIRouter(prefix="/api/admin/v1/webhooks", tags=["webhooks"])


def _box(state: AppState) -> SecretBox:
    return svc.endpoint_secret_box(state.secrets.encryption_key)


def _object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise InvalidInput("the body must be a JSON object")
    return body


@router.post("", status_code=201, summary="Register a webhook endpoint (returns its secret, once)",
             openapi_extra=webhook_body(partial=False))
async def create_endpoint(key: Admin, conn: Conn, state: State, body: Any = Body(...)) -> dict[str, Any]:
    endpoint, secret = await svc.create_endpoint(conn, _object(body), settings=state.settings.delivery, box=_box(state))
    await record_audit(conn, actor=f"admin-key:{key.id}", action="webhook.created", target=endpoint["id"],
                       details={"url": endpoint["url"], "event_types": endpoint["event_types"]})
    return {**endpoint, "secret": secret}


@router.get("", summary="List webhook endpoints")
async def list_endpoints(_: Admin, conn: Conn) -> dict[str, Any]:
    return {"webhooks": await svc.list_endpoints(conn)}


@router.get("/{endpoint_id}", summary="Get a webhook endpoint")
async def get_endpoint(_: Admin, conn: Conn, endpoint_id: uuid.UUID) -> dict[str, Any]:
    return await svc.get_endpoint(conn, endpoint_id)


@router.patch("/{endpoint_id}", summary="Change url, event_types, description or enabled",
              openapi_extra=webhook_body(partial=True))
async def update_endpoint(key: Admin, conn: Conn, state: State, endpoint_id: uuid.UUID, body: Any = Body(...)) -> dict[str, Any]:
    endpoint = await svc.update_endpoint(conn, endpoint_id, _object(body), settings=state.settings.delivery)
    await record_audit(conn, actor=f"admin-key:{key.id}", action="webhook.updated", target=str(endpoint_id),
                       details={"changed": sorted(_object(body))})
    return endpoint


@router.post("/{endpoint_id}/rotate-secret", summary="Replace the signing secret (returns the new one, once)")
async def rotate_secret(key: Admin, conn: Conn, state: State, endpoint_id: uuid.UUID) -> dict[str, Any]:
    endpoint, secret = await svc.rotate_secret(conn, endpoint_id, box=_box(state))
    await record_audit(conn, actor=f"admin-key:{key.id}", action="webhook.secret_rotated", target=str(endpoint_id))
    return {**endpoint, "secret": secret}


@router.delete("/{endpoint_id}", status_code=204, summary="Remove an endpoint and its deliveries")
async def delete_endpoint(key: Admin, conn: Conn, endpoint_id: uuid.UUID) -> Response:
    await svc.delete_endpoint(conn, endpoint_id)
    await record_audit(conn, actor=f"admin-key:{key.id}", action="webhook.deleted", target=str(endpoint_id))
    return Response(status_code=204)
