"""The rolling-migration seam: sign-up and forgot-password claim login IDs the legacy system knows.

The legacy system here is a stand-in that implements ``LegacyFallback.claim`` the way rolling
migration does (create the user from the legacy record, or say it is unknown, or be down); what is
under test is what the pages do with each answer.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from authshift.accounts import users
from authshift.errors import Unavailable
from authshift.state import AppState
from tests.pages.helpers import GOOD_PASSWORD, outbox, password_matches, reset_link, submit
from tests.pages.test_password_reset import NEW_PASSWORD, choose_password
from tests.pages.test_signup import signup, user_count
from tests.support.databases import table_counts


class LegacyDirectory:
    """Knows some login IDs; claiming one creates the user here, without a password."""

    def __init__(self, state: AppState, known: dict[str, dict[str, Any]]) -> None:
        self.state, self.known, self.claims = state, known, []

    async def login(self, login_id: str, password: str) -> uuid.UUID | None:
        return None

    async def claim(self, login_id: str) -> uuid.UUID | None:
        self.claims.append(login_id)
        record = self.known.get(login_id.strip().lower())
        if record is None:
            return None
        async with self.state.engine.begin() as conn:
            return await users.create_user(conn, {**record, "source": "legacy"}, ctx=self.state.accounts,
                                           migration_state="imported")

    async def shadow(self, user_id: uuid.UUID, login_id: str, password: str) -> bool | None:
        return None  # no shadow verification: the local hash decides


class LegacyDown:
    async def login(self, login_id: str, password: str) -> uuid.UUID | None:
        raise Unavailable("the legacy system did not answer")

    async def claim(self, login_id: str) -> uuid.UUID | None:
        raise Unavailable("the legacy system did not answer")

    async def shadow(self, user_id: uuid.UUID, login_id: str, password: str) -> bool | None:
        return None  # no shadow verification: the local hash decides


async def test_signup_with_a_legacy_users_email_claims_it_and_refuses(client: httpx.AsyncClient, app: Any) -> None:
    legacy = LegacyDirectory(app.state.authshift, {"old@example.com": {"email": "old@example.com", "email_verified": True}})
    app.state.authshift.legacy = legacy
    resp = await signup(client, "Old@Example.com")
    assert resp.status_code == 409 and "An account with this email already exists." in resp.text
    assert legacy.claims == ["old@example.com"]
    async with app.state.authshift.engine.connect() as conn:
        user_id = await users.find_user_id(conn, "old@example.com")
        assert user_id is not None
        user = await users.get_user(conn, user_id)
    assert user["source"] == "legacy" and user["migration_state"] == "imported"  # the legacy person's, not the squatter's
    assert await user_count(app) == 1

    assert (await signup(client, "fresh@example.com")).status_code == 303  # unknown to legacy: signed up here
    assert legacy.claims[-1] == "fresh@example.com" and await user_count(app) == 2


async def test_local_users_do_not_ask_the_legacy_system(client: httpx.AsyncClient, app: Any) -> None:
    legacy = LegacyDirectory(app.state.authshift, {})
    app.state.authshift.legacy = legacy
    assert (await signup(client, "here@example.com")).status_code == 303
    legacy.claims.clear()
    assert (await signup(client, "here@example.com")).status_code == 409
    assert (await submit(client, "/forgot-password", {"login_id": "here@example.com"})).status_code == 200
    assert legacy.claims == []


async def test_forgot_password_for_a_legacy_user_claims_then_mails(client: httpx.AsyncClient, app: Any) -> None:
    app.state.authshift.legacy = LegacyDirectory(app.state.authshift, {"old@example.com": {"email": "old@example.com"}})
    resp = await submit(client, "/forgot-password", {"login_id": "old@example.com"})
    assert resp.status_code == 200 and "Check your email" in resp.text
    rows = await outbox(app.state.authshift.engine)
    assert [r["to_address"] for r in rows] == ["old@example.com"]
    assert (await choose_password(client, reset_link(rows[0]["body"]))).status_code == 303
    async with app.state.authshift.engine.connect() as conn:
        user_id = await users.find_user_id(conn, "old@example.com")
    assert user_id and await password_matches(app.state.authshift.engine, user_id, NEW_PASSWORD)


async def test_legacy_down_gives_try_again_and_writes_nothing(client: httpx.AsyncClient, app: Any, db_url: str) -> None:
    app.state.authshift.legacy = LegacyDown()
    before = await table_counts(db_url)
    for resp in (
        await signup(client, "someone@example.com"),
        await submit(client, "/forgot-password", {"login_id": "someone@example.com"}),
    ):
        assert resp.status_code == 503 and "Please try again shortly" in resp.text
        assert GOOD_PASSWORD not in resp.text
    assert await table_counts(db_url) == before
