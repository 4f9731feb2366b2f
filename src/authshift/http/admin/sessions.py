"""Admin API: mint a session for a user (zero-downtime migration, issue 8).

A first-party backend that has validated a legacy token itself asks for authshift tokens for the
user, as Authgear's admin API allows. Off unless ``migration.token_exchange.admin_sessions_enabled``
is true (then 404, as if the endpoint did not exist). The tokens are issued by ``issue_tokens``
(a new session); the user becomes ``migrated`` if they were ``imported``; every call is audited.
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Body

from authshift.accounts.migration_state import record_sign_in
from authshift.audit import record_audit
from authshift.errors import FieldError, Forbidden, InvalidInput, NotFound
from authshift.http.admin.schemas import SESSION_BODY
from authshift.http.deps import Admin, Conn, State
from authshift.oidc.claims import ScopeSyntaxError, parse_scope
from authshift.oidc.clients import get_client
from authshift.oidc.tokens import issue_tokens
from authshift.storage.tables import users

router = APIRouter(prefix="/api/admin/v1/users", tags=["sessions"])



def _string(body: Any, key: str, *, required: bool) -> str | None:
    value = body.get(key) if isinstance(body, dict) else None
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{key} must be a non-empty string", errors=[FieldError(key, "expected a non-empty string")])
    return value


@router.post("/{user_id}/sessions", status_code=201, summary="Mint a session and tokens for a user",
             openapi_extra=SESSION_BODY)
async def mint_session(key: Admin, conn: Conn, state: State, user_id: uuid.UUID, body: Any = Body(...)) -> dict[str, Any]:
    if not state.settings.migration.token_exchange.admin_sessions_enabled:
        raise NotFound("minting sessions is off (set migration.token_exchange.admin_sessions_enabled = true)")
    client_id = _string(body, "client_id", required=True)
    assert client_id is not None
    client = await get_client(conn, client_id)
    if client is None:
        raise InvalidInput("no client with this client_id", errors=[FieldError("client_id", "unknown client")])
    requested = _string(body, "scope", required=False)
    try:
        scope = parse_scope(requested) if requested else list(client.scopes)
    except ScopeSyntaxError as exc:
        raise InvalidInput(str(exc), errors=[FieldError("scope", str(exc))]) from None
    if not client.allows_scopes(scope):
        extra = " ".join(s for s in scope if s not in client.scopes)
        raise InvalidInput("scope not allowed for this client", errors=[FieldError("scope", f"not allowed: {extra}")])
    row = (await conn.execute(sa.select(users.c.disabled, users.c.migration_state).where(users.c.id == user_id))).first()
    if row is None:
        raise NotFound(f"no user with id {user_id}")
    if row.disabled:
        raise Forbidden("the user is disabled; no session can be minted")
    await record_sign_in(conn, user_id, row.migration_state, via="admin_session", details={"admin_key_id": key.id})
    tokens = await issue_tokens(state, conn, client=client, user_id=user_id, scope=scope)
    await record_audit(
        conn, actor=f"admin_key:{key.id}", action="session.minted", target=str(user_id),
        details={"client_id": client.client_id, "scope": " ".join(scope)},
    )
    return {"user_id": str(user_id), **tokens}
