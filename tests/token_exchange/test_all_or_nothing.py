"""An exchange writes everything or nothing, including when the user changes while it runs.

On PostgreSQL an exchange for a user already known here reads the user without a lock and writes
in one statement that writes nothing unless the token is new, the subject within its limit and the
user still as read; anything else runs again in a transaction with the user's row locked. These
tests check what a user of the API sees: refused exchanges leave no session, no sign-in and no
consumed token behind; a user disabled or edited in the middle is refused or gets the new claims.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from authshift.audit import audit_log  # type: ignore[attr-defined]
from authshift.migration.token_exchange import service
from authshift.oidc.clients import ClientSpec, create_client
from authshift.oidc.tables import sessions
from authshift.security import throttle
from tests.support.legacy_tokens import LocalIssuer
from tests.token_exchange.helpers import App, exchange_config, local_jwt_issuer, oauth_error

POSTGRES_ONLY = pytest.mark.parametrize("backend", [pytest.param("postgres", marks=pytest.mark.postgres)])


@pytest.fixture
def exchange_toml(local: LocalIssuer) -> str:
    return exchange_config([local_jwt_issuer(local, leeway_seconds=0)],
                           subject_max_exchanges=1, subject_window_seconds=1)


@pytest.fixture
async def tx(app: Any, client: httpx.AsyncClient, admin_headers: dict[str, str]) -> App:
    async with app.state.authshift.engine.begin() as conn:
        registered, secret = await create_client(conn, ClientSpec(name="Web app", grant_types=["token-exchange"]))
    assert secret is not None
    return App(client, registered.client_id, secret, admin_headers)


async def _written_for(app: Any, user_id: str) -> tuple[int, int]:
    """The user's sessions and the exchanges audited for them."""
    uid = uuid.UUID(user_id)
    async with app.state.authshift.engine.connect() as conn:
        sessions_count = (await conn.execute(
            sa.select(sa.func.count()).select_from(sessions).where(sessions.c.user_id == uid))).scalar_one()
        audited = (await conn.execute(sa.select(sa.func.count()).select_from(audit_log).where(
            audit_log.c.action == "token_exchange.exchanged", audit_log.c.target == user_id))).scalar_one()
    return int(sessions_count), int(audited)


async def test_a_replayed_token_leaves_nothing_behind(tx: App, local: LocalIssuer, app: Any) -> None:
    ivy = await tx.create_user({"email": "ivy@example.com", "external_id": "i-1", "migration_state": "imported"})
    token = local.mint("i-1")
    assert (await tx.exchange(token)).status_code == 200
    signed_in = (await tx.user(ivy["id"]))["last_login_at"]
    await asyncio.sleep(1.1)  # past the subject's window: only the replay can refuse it
    assert "already been exchanged" in oauth_error(await tx.exchange(token), "invalid_grant")
    assert await _written_for(app, ivy["id"]) == (1, 1)
    assert (await tx.user(ivy["id"]))["last_login_at"] == signed_in


async def test_a_throttled_exchange_does_not_use_up_its_token(tx: App, local: LocalIssuer, app: Any) -> None:
    jay = await tx.create_user({"email": "jay@example.com", "external_id": "j-1"})
    assert (await tx.exchange(local.mint("j-1"))).status_code == 200
    later = local.mint("j-1")
    assert "too many" in oauth_error(await tx.exchange(later), "slow_down", 429)
    assert await _written_for(app, jay["id"]) == (1, 1)
    await asyncio.sleep(1.1)  # the subject's window has passed: the same token still works
    assert (await tx.exchange(later)).status_code == 200
    assert await _written_for(app, jay["id"]) == (2, 2)


def _change_after_the_read(monkeypatch: pytest.MonkeyPatch, change: Callable[[], Awaitable[None]]) -> list[str]:
    """Run ``change`` (committed, through the admin API) right after the exchange has read the user
    without a lock, as another request would; returns the paths the exchange took."""
    taken: list[str] = []
    read, locked = service.find_known_user, service._in_transaction

    async def read_then_change(*args: Any, **kwargs: Any) -> Any:
        found = await read(*args, **kwargs)
        taken.append("unlocked read")
        await change()
        return found

    async def in_transaction(*args: Any, **kwargs: Any) -> Any:
        taken.append("locked")
        return await locked(*args, **kwargs)

    monkeypatch.setattr(service, "find_known_user", read_then_change)
    monkeypatch.setattr(service, "_in_transaction", in_transaction)
    return taken


@POSTGRES_ONLY
async def test_a_user_disabled_during_the_exchange_is_refused_and_gets_no_session(
    tx: App, local: LocalIssuer, app: Any, monkeypatch: pytest.MonkeyPatch,
) -> None:
    kim = await tx.create_user({"email": "kim@example.com", "external_id": "k-1", "migration_state": "imported"})

    async def disable() -> None:
        assert (await tx.http.post(f"/api/admin/v1/users/{kim['id']}/disable", headers=tx.admin)).status_code == 200

    taken = _change_after_the_read(monkeypatch, disable)
    assert "disabled" in oauth_error(await tx.exchange(local.mint("k-1")), "invalid_grant")
    assert taken == ["unlocked read", "locked"]
    assert await _written_for(app, kim["id"]) == (0, 0)
    user = await tx.user(kim["id"])
    assert user["migration_state"] == "imported" and user.get("last_login_at") is None


@POSTGRES_ONLY
async def test_a_user_edited_during_the_exchange_gets_tokens_with_the_new_claims(
    tx: App, local: LocalIssuer, app: Any, monkeypatch: pytest.MonkeyPatch,
) -> None:
    lea = await tx.create_user({"email": "lea@example.com", "email_verified": True, "external_id": "l-1"})

    async def change_email() -> None:
        response = await tx.http.patch(f"/api/admin/v1/users/{lea['id']}", headers=tx.admin,
                                       json={"email": "lea@new.example.com"})
        assert response.status_code == 200, response.text

    taken = _change_after_the_read(monkeypatch, change_email)
    response = await tx.exchange(local.mint("l-1"))
    assert response.status_code == 200, response.text
    assert taken == ["unlocked read", "locked"]
    claims = await tx.verified_claims(response.json()["id_token"])
    assert claims["email"] == "lea@new.example.com"
    assert await _written_for(app, lea["id"]) == (1, 1)


@POSTGRES_ONLY
async def test_a_known_user_is_exchanged_without_a_transaction(tx: App, local: LocalIssuer, monkeypatch: pytest.MonkeyPatch) -> None:
    await tx.create_user({"email": "max@example.com", "external_id": "m-1", "migration_state": "imported"})

    async def nothing() -> None:
        return None

    taken = _change_after_the_read(monkeypatch, nothing)
    assert (await tx.exchange(local.mint("m-1"))).status_code == 200
    assert taken == ["unlocked read"]


async def _waiting_on_a_lock(app: Any) -> bool:
    async with app.state.authshift.engine.connect() as conn:
        waiting = await conn.execute(sa.text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"))
        return int(waiting.scalar_one()) > 0


@POSTGRES_ONLY
async def test_an_exchange_waits_for_a_locked_exchange_of_the_same_user_without_deadlock(
    tx: App, local: LocalIssuer, app: Any,
) -> None:
    """A locked exchange holds the user's row and then counts the subject; an unlocked exchange of
    the same user must wait for the row before it touches the count (the same lock order), or the
    two deadlock and one of them fails with a server error."""
    await tx.create_user({"email": "ned@example.com", "external_id": "n-1"})
    engine = app.state.authshift.engine
    async with engine.connect() as locked:
        transaction = await locked.begin()
        await locked.execute(sa.text("SELECT id FROM users WHERE external_id = 'n-1' FOR NO KEY UPDATE"))
        pending = asyncio.ensure_future(tx.exchange(local.mint("n-1")))
        for _ in range(200):
            if await _waiting_on_a_lock(app):
                break
            await asyncio.sleep(0.01)
        else:
            raise AssertionError("the exchange never waited for the user's row")
        # what the locked exchange does next: count the subject (it would wait forever on a
        # count the other exchange holds: PostgreSQL then aborts one of them as a deadlock)
        limit = throttle.Limit(service.subject_key("legacy", "n-1"), 100, 60)
        await asyncio.wait_for(throttle.hit(locked, limit), timeout=5)
        await transaction.rollback()  # that exchange is refused: nothing of it stays
    response = await pending
    assert response.status_code == 200, response.text
