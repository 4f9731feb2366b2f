"""Admin API: OAuth clients (the same service as ``authshift clients``)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from authshift.audit import record_audit
from authshift.http.deps import Admin, Conn
from authshift.oidc import clients as svc

router = APIRouter(prefix="/api/admin/v1/clients", tags=["clients"])


_AUTH_CODE = svc.GRANT_AUTHORIZATION_CODE
# The rules ``oidc.clients`` applies, as JSON Schema: the authorization_code grant (also the
# default when grant_types is empty) needs a redirect URI; a public client has no secret, so no
# client_credentials grant.
_RULES: dict[str, Any] = {
    "anyOf": [
        {"required": ["redirect_uris"], "properties": {"redirect_uris": {"minItems": 1}}},
        {"required": ["grant_types"], "properties": {"grant_types": {"minItems": 1, "not": {"contains": {"const": _AUTH_CODE}}}}},
    ],
    "not": {"required": ["public", "grant_types"], "properties": {
        "public": {"const": True}, "grant_types": {"contains": {"const": svc.GRANT_CLIENT_CREDENTIALS}}}},
}
_GRANTS = [*svc.KNOWN_GRANT_TYPES, *svc.GRANT_ALIASES]
_REDIRECT = {"format": "redirect-uri", "description": "https, loopback http (127.0.0.1, localhost, [::1]) or a "
             "reverse-domain private-use scheme (com.example.app:/callback); no fragment"}


class ClientBody(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra=_RULES)

    # a visible name without control characters (PostgreSQL cannot store NUL in text)
    name: str = Field(pattern=r"^[^\x00-\x1f\x7f]*[^\s\x00-\x1f\x7f][^\x00-\x1f\x7f]*$")
    redirect_uris: list[Annotated[str, Field(json_schema_extra=_REDIRECT)]] = []
    public: bool = False
    grant_types: list[Literal[tuple(_GRANTS)]] = []  # type: ignore[valid-type]
    post_logout_redirect_uris: list[Annotated[str, Field(json_schema_extra=_REDIRECT)]] = []
    scopes: list[Annotated[str, Field(pattern=r"^[\x21\x23-\x5B\x5D-\x7E]+$")]] = []


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
