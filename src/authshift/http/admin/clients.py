"""Admin API: OAuth clients (the same service as ``authshift clients``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict

from authshift.audit import record_audit
from authshift.http.deps import Admin, Conn
from authshift.oidc import clients as svc

router = APIRouter(prefix="/api/admin/v1/clients", tags=["clients"])


class ClientBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    redirect_uris: list[str] = []
    public: bool = False
    grant_types: list[str] = []
    post_logout_redirect_uris: list[str] = []
    scopes: list[str] = []


@router.post("", status_code=201, summary="Register a client (its secret is in this response only)")
async def create_client(key: Admin, conn: Conn, body: ClientBody) -> dict[str, Any]:
    client, secret = await svc.create_client(conn, svc.ClientSpec(**body.model_dump()))
    await record_audit(conn, actor=f"admin-key:{key.id}", action="client.created", target=client.client_id)
    out = client.as_dict()
    if secret is not None:
        out["client_secret"] = secret
    return out


@router.get("", summary="List clients")
async def list_clients(_: Admin, conn: Conn) -> dict[str, Any]:
    return {"clients": [c.as_dict() for c in await svc.list_clients(conn)]}


@router.get("/{client_id}", summary="Get a client")
async def get_client(_: Admin, conn: Conn, client_id: str) -> dict[str, Any]:
    return (await svc.require_client(conn, client_id)).as_dict()


@router.delete("/{client_id}", status_code=204, summary="Delete a client and everything issued to it")
async def delete_client(key: Admin, conn: Conn, client_id: str) -> Response:
    await svc.delete_client(conn, client_id)
    await record_audit(conn, actor=f"admin-key:{key.id}", action="client.deleted", target=client_id)
    return Response(status_code=204)
