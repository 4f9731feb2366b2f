"""Webhook endpoints: where events are delivered besides the legacy write-back URL.

An endpoint has a URL (https; plain http to 127.0.0.1/localhost only with
``[delivery] allow_insecure_webhook_urls``), the event types it receives (``user.created``,
a family ``user.*``, or everything ``*``), an ``enabled`` flag and a ``whsec_`` signing secret
generated here, shown once when the endpoint is created (or its secret rotated) and stored
encrypted. The admin API and any future CLI call these services.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from authshift.accounts.rows import iso
from authshift.config import DeliverySettings, check_outbound_url
from authshift.errors import ErrorList, InvalidInput, NotFound
from authshift.events.tables import webhook_endpoints
from authshift.ids import uuid7
from authshift.security.secretbox import SecretBox
from authshift.security.webhook_signatures import generate_secret
from authshift.storage.types import utcnow

__all__ = [
    "create_endpoint", "delete_endpoint", "endpoint_secret_box", "event_type_matches", "get_endpoint",
    "list_endpoints", "rotate_secret", "update_endpoint",
]

_EVENT_TYPE = re.compile(r"^(\*|[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*(\.\*)?)$")
MAX_EVENT_TYPES = 100


def endpoint_secret_box(encryption_key: bytes) -> SecretBox:
    return SecretBox(encryption_key, "webhook-endpoint-secrets")


def event_type_matches(patterns: Sequence[str], event_type: str) -> bool:
    """``*`` matches every type, ``user.*`` every ``user.<anything>``, else the exact type."""
    for pattern in patterns:
        if pattern == "*" or pattern == event_type:
            return True
        if pattern.endswith(".*") and event_type.startswith(pattern[:-1]):
            return True
    return False


def _check_url(url: Any, settings: DeliverySettings, errors: ErrorList) -> str | None:
    if not isinstance(url, str) or not url.strip():
        errors.add("url", "expected an absolute https:// URL")
        return None
    url = url.strip()
    if urlsplit(url).scheme == "http" and not settings.allow_insecure_webhook_urls:
        errors.add("url", "webhook URLs must use https")
        return None
    try:
        return check_outbound_url(url, allow_http=False, what="url")
    except ValueError as exc:
        errors.add("url", str(exc))
        return None


def _check_event_types(value: Any, errors: ErrorList) -> list[str] | None:
    if not isinstance(value, list) or not value or len(value) > MAX_EVENT_TYPES:
        errors.add("event_types", f'expected a list of 1 to {MAX_EVENT_TYPES} event types, such as ["user.created"] or ["*"]')
        return None
    bad = [v for v in value if not isinstance(v, str) or not _EVENT_TYPE.match(v)]
    if bad:
        errors.add("event_types", 'each event type is a name such as "user.created", a family "user.*" or "*"')
        return None
    return list(dict.fromkeys(value))


def _public(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": str(row["id"]), "url": row["url"], "description": row["description"],
        "event_types": list(row["event_types"]), "enabled": bool(row["enabled"]),
        "created_at": iso(row["created_at"]), "updated_at": iso(row["updated_at"]),
    }


def _check_body(body: Mapping[str, Any], settings: DeliverySettings, *, partial: bool) -> dict[str, Any]:
    errors = ErrorList()
    unknown = sorted(set(body) - {"url", "event_types", "description", "enabled"})
    for key in unknown:
        errors.add(key, "unknown field")
    values: dict[str, Any] = {}
    if "url" in body or not partial:
        values["url"] = _check_url(body.get("url"), settings, errors)
    if "event_types" in body or not partial:
        values["event_types"] = _check_event_types(body.get("event_types"), errors)
    if "description" in body:
        description = body["description"]
        if description is not None and (not isinstance(description, str) or len(description) > 500 or "\x00" in description):
            errors.add("description", "expected a string of at most 500 characters, without NUL")
        values["description"] = description
    if "enabled" in body:
        if not isinstance(body["enabled"], bool):
            errors.add("enabled", "expected true or false")
        values["enabled"] = body["enabled"]
    errors.raise_if_any("the webhook endpoint is not valid")
    return values


async def create_endpoint(
    conn: AsyncConnection, body: Mapping[str, Any], *, settings: DeliverySettings, box: SecretBox
) -> tuple[dict[str, Any], str]:
    """Register an endpoint; returns it and its new secret (shown to the caller once)."""
    values = _check_body(body, settings, partial=False)
    secret = generate_secret()
    now = utcnow()
    row = {
        "id": uuid7(), "url": values["url"], "description": values.get("description"),
        "event_types": values["event_types"], "enabled": values.get("enabled", True),
        "secret_encrypted": box.encrypt(secret.encode()), "created_at": now, "updated_at": now,
    }
    await conn.execute(webhook_endpoints.insert().values(**row))
    return _public(row), secret


async def _row(conn: AsyncConnection, endpoint_id: uuid.UUID) -> Mapping[str, Any]:
    row = (await conn.execute(sa.select(webhook_endpoints).where(webhook_endpoints.c.id == endpoint_id))).mappings().first()
    if row is None:
        raise NotFound(f"no webhook endpoint with id {endpoint_id}")
    return row


async def get_endpoint(conn: AsyncConnection, endpoint_id: uuid.UUID) -> dict[str, Any]:
    return _public(await _row(conn, endpoint_id))


async def list_endpoints(conn: AsyncConnection) -> list[dict[str, Any]]:
    rows = (await conn.execute(sa.select(webhook_endpoints).order_by(webhook_endpoints.c.id))).mappings()
    return [_public(r) for r in rows]


async def update_endpoint(
    conn: AsyncConnection, endpoint_id: uuid.UUID, body: Mapping[str, Any], *, settings: DeliverySettings
) -> dict[str, Any]:
    await _row(conn, endpoint_id)
    values = _check_body(body, settings, partial=True)
    if not values:
        raise InvalidInput("nothing to change: give url, event_types, description or enabled")
    await conn.execute(
        webhook_endpoints.update().where(webhook_endpoints.c.id == endpoint_id).values(**values, updated_at=utcnow())
    )
    return await get_endpoint(conn, endpoint_id)


async def rotate_secret(conn: AsyncConnection, endpoint_id: uuid.UUID, *, box: SecretBox) -> tuple[dict[str, Any], str]:
    """A new secret for the endpoint (the old one stops signing at once); returned once."""
    await _row(conn, endpoint_id)
    secret = generate_secret()
    await conn.execute(
        webhook_endpoints.update().where(webhook_endpoints.c.id == endpoint_id)
        .values(secret_encrypted=box.encrypt(secret.encode()), updated_at=utcnow())
    )
    return await get_endpoint(conn, endpoint_id), secret


async def delete_endpoint(conn: AsyncConnection, endpoint_id: uuid.UUID) -> None:
    """Remove the endpoint and its deliveries (pending ones are never sent)."""
    await _row(conn, endpoint_id)
    await conn.execute(webhook_endpoints.delete().where(webhook_endpoints.c.id == endpoint_id))
