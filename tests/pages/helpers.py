"""Helpers for driving the account pages like a browser: fetch a form, post it with its CSRF token."""

from __future__ import annotations

import html
import re
import uuid
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from authshift import passwords
from authshift.mail.tables import email_outbox
from authshift.storage.tables import passwords as passwords_table

GOOD_PASSWORD = "a long and unusual passphrase"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_LINK = re.compile(r"(http://\S+/reset-password\?\S+)")


def csrf_token(page: str) -> str:
    found = _CSRF.search(page)
    assert found, "the page has no csrf_token field"
    return html.unescape(found.group(1))


async def submit(client: httpx.AsyncClient, path: str, data: dict[str, str], *, form_path: str | None = None) -> httpx.Response:
    """GET the form (which sets the CSRF cookie), then POST ``data`` with the form's token."""
    page = await client.get(form_path or path)
    assert page.status_code == 200, page.text
    return await client.post(path, data={"csrf_token": csrf_token(page.text), **data})


def field_errors(page: str, name: str) -> str:
    """The text of the inline error shown under field ``name`` ('' when none)."""
    found = re.search(rf'<p class="error" id="{name}-error">(.*?)</p>', page, re.S)
    return html.unescape(found.group(1)) if found else ""


async def outbox(engine: AsyncEngine) -> list[dict[str, Any]]:
    async with engine.connect() as conn:
        rows = await conn.execute(sa.select(email_outbox).order_by(email_outbox.c.created_at, email_outbox.c.id))
        return [dict(r) for r in rows.mappings()]


def reset_link(body: str) -> str:
    found = _LINK.search(body)
    assert found, f"no reset link in {body!r}"
    return found.group(1)


async def password_matches(engine: AsyncEngine, user_id: uuid.UUID, password: str) -> bool:
    async with engine.connect() as conn:
        row = (await conn.execute(sa.select(passwords_table).where(passwords_table.c.user_id == user_id))).mappings().one()
    return passwords.verify(password, passwords.StoredPassword(row["format"], row["value"])).ok
