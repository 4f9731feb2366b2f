"""Admin API: users. Bodies and responses use the import record shape (never a hash)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Body, Query, Response

from authshift.accounts import users as svc
from authshift.errors import FieldError, InvalidInput
from authshift.http.admin.schemas import body as json_body
from authshift.http.admin.schemas import inline_body, names_body, user_schemas
from authshift.http.deps import Admin, Conn, State
from authshift.http.openapi import problems
from authshift.records import RecordError, parse_datetime, parse_record, record_to_json

router = APIRouter(prefix="/api/admin/v1/users", tags=["users"])

_SCHEMAS = user_schemas()
CREATE_BODY = json_body("UserRecord", _SCHEMAS)
PATCH_BODY = json_body("UserPatch", _SCHEMAS)
DISABLE_BODY = inline_body({"type": "object", "properties": {"reason": {"type": ["string", "null"]}}}, required=False)
_DATE_TIME = {"format": "date-time", "description": "ISO 8601 date-time (no offset means UTC)"}


def _instant(name: str, value: str | None) -> datetime | None:
    """A query parameter's date-time, by the record format's rule (a number is refused)."""
    if value is None:
        return None
    try:
        return parse_datetime(value)
    except ValueError as exc:
        raise InvalidInput(f"{name} is not a date-time", errors=[FieldError(name, str(exc))]) from None


def validated(body: Any, *, keep_nulls: bool = False) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """Validate a record body with the import rules; plain-text passwords are allowed here.

    Values no backend can store (a NUL, a lone surrogate, NaN, too deep) are refused first, as
    the import readers refuse them (``sources._values``): PostgreSQL answered a NUL with a 500."""
    from authshift.migration.formats._values import unstorable

    issues = unstorable(body)
    if issues:
        raise InvalidInput("the user record is not valid", errors=list(issues))
    try:
        parsed = parse_record(body, allow_plaintext_password=True)
    except RecordError as exc:
        raise InvalidInput("the user record is not valid", errors=list(exc.issues)) from None
    warnings = [w.as_dict() for w in parsed.warnings]
    return record_to_json(parsed.record, keep_nulls=keep_nulls), warnings


@router.get("", summary="List users (keyset pagination)")
async def list_users(
    _: Admin,
    conn: Conn,
    email: str | None = Query(None, json_schema_extra={"format": "email"}),
    external_id: str | None = None,
    migration_state: Literal["imported", "migrated", "native"] | None = None,
    source: str | None = None,
    created_after: str | None = Query(None, json_schema_extra=_DATE_TIME),
    created_before: str | None = Query(None, json_schema_extra=_DATE_TIME),
    limit: int = Query(50, ge=1, le=svc.MAX_PAGE),
    cursor: uuid.UUID | None = Query(None, description="next_cursor of the previous page"),
) -> dict[str, Any]:
    page, next_cursor = await svc.list_users(
        conn,
        svc.UserFilter(email, external_id, migration_state, source, _instant("created_after", created_after),
                       _instant("created_before", created_before)),
        limit=limit,
        after=cursor,
    )
    return {"users": page, "next_cursor": str(next_cursor) if next_cursor else None}


@router.post("", status_code=201, summary="Create a user from a record", openapi_extra=CREATE_BODY,
             responses=problems(409))
async def create_user(_: Admin, conn: Conn, state: State, body: dict[str, Any] = Body(...)) -> dict[str, Any]:
    rec, warnings = validated(body)
    user_id = await svc.create_user(conn, rec, ctx=state.accounts)
    user = await svc.get_user(conn, user_id)
    return {**user, "warnings": warnings} if warnings else user


@router.get("/{user_id}", summary="Get a user")
async def get_user(_: Admin, conn: Conn, user_id: uuid.UUID) -> dict[str, Any]:
    return await svc.get_user(conn, user_id)


@router.patch("/{user_id}", summary="Change the fields given (null removes one)", openapi_extra=PATCH_BODY,
              responses=problems(409))
async def patch_user(
    _: Admin, conn: Conn, state: State, user_id: uuid.UUID, body: dict[str, Any] = Body(...)
) -> dict[str, Any]:
    for forbidden in ("id", "migration_state", "created_at", "updated_at", "last_login_at"):
        if forbidden in body:
            raise InvalidInput(f"{forbidden} cannot be changed", errors=[FieldError(forbidden, "is read-only")])
    rec, _warnings = validated(body, keep_nulls=True)
    return await svc.update_user(conn, user_id, rec, ctx=state.accounts)


@router.post("/{user_id}/disable", summary="Disable a user (they can no longer sign in)", openapi_extra=DISABLE_BODY)
async def disable_user(
    _: Admin, conn: Conn, user_id: uuid.UUID, body: dict[str, Any] | None = Body(None)
) -> dict[str, Any]:
    reason = (body or {}).get("reason")
    if reason is not None and not isinstance(reason, str):
        raise InvalidInput("reason must be a string", errors=[FieldError("reason", "expected a string")])
    return await svc.set_disabled(conn, user_id, True, reason)


@router.post("/{user_id}/enable", summary="Enable a disabled user")
async def enable_user(_: Admin, conn: Conn, user_id: uuid.UUID) -> dict[str, Any]:
    return await svc.set_disabled(conn, user_id, False)


@router.delete("/{user_id}", status_code=204, summary="Delete a user")
async def delete_user(_: Admin, conn: Conn, user_id: uuid.UUID) -> Response:
    await svc.delete_user(conn, user_id)
    return Response(status_code=204)


def _names(body: Any, key: str) -> list[str]:
    values = body.get(key) if isinstance(body, dict) else None
    if not isinstance(values, list) or not all(isinstance(v, str) and v for v in values):
        raise InvalidInput(f"{key} must be a list of non-empty strings", errors=[FieldError(key, "expected a list of strings")])
    return list(dict.fromkeys(values))


@router.put("/{user_id}/roles", summary="Replace a user's roles", openapi_extra=names_body("roles"))
async def set_roles(_: Admin, conn: Conn, state: State, user_id: uuid.UUID, body: Any = Body(...)) -> dict[str, Any]:
    return await svc.update_user(conn, user_id, {"roles": _names(body, "roles")}, ctx=state.accounts)


@router.put("/{user_id}/groups", summary="Replace a user's groups", openapi_extra=names_body("groups"))
async def set_groups(_: Admin, conn: Conn, state: State, user_id: uuid.UUID, body: Any = Body(...)) -> dict[str, Any]:
    return await svc.update_user(conn, user_id, {"groups": _names(body, "groups")}, ctx=state.accounts)
