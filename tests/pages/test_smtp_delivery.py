"""Mail over real SMTP: a local relay (STARTTLS + AUTH) receives the reset link; failures are retried."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from authshift.mail.delivery import deliver_due
from authshift.mail.tables import email_outbox
from authshift.storage.types import utcnow
from tests.pages.helpers import outbox, password_matches, reset_link, submit
from tests.pages.test_password_reset import NEW_PASSWORD, choose_password, make_user
from tests.support.servers import free_port
from tests.support.smtp import SMTP_PASSWORD, SMTP_USER, SmtpServer


@pytest.fixture
def smtp_server(tmp_path: Path) -> Iterator[SmtpServer]:
    server = SmtpServer(tmp_path, free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def settings_env(settings_env: dict[str, str], smtp_server: SmtpServer) -> dict[str, str]:
    return {
        **settings_env,
        "AUTHSHIFT_SMTP__HOST": "127.0.0.1",
        "AUTHSHIFT_SMTP__PORT": str(smtp_server.port),
        "AUTHSHIFT_SMTP__TLS": "starttls",
        "AUTHSHIFT_SMTP__CA_FILE": str(smtp_server.cert),
        "AUTHSHIFT_SMTP__USERNAME": SMTP_USER,
        "AUTHSHIFT_SMTP__PASSWORD": SMTP_PASSWORD,
        "AUTHSHIFT_SMTP__FROM_ADDRESS": "Example Accounts <accounts@example.com>",
        "AUTHSHIFT_SMTP__MAX_ATTEMPTS": "2",
        "AUTHSHIFT_SMTP__POLL_SECONDS": "0.2",
        "AUTHSHIFT_SMTP__TIMEOUT_SECONDS": "3",
    }


async def wait_for(condition: Any, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not await condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.1)


async def test_reset_mail_reaches_a_real_smtp_server(client: httpx.AsyncClient, app: Any, smtp_server: SmtpServer) -> None:
    user_id = await make_user(app, "ada@example.com")
    resp = await submit(client, "/forgot-password", {"login_id": "ada@example.com"})
    assert resp.status_code == 200
    engine = app.state.authshift.engine

    async def delivered() -> bool:
        return bool(smtp_server.inbox.messages) and (await outbox(engine))[0]["status"] == "sent"

    await wait_for(delivered)
    (mail_from, rcpt_tos, message), = smtp_server.inbox.messages
    assert mail_from == "accounts@example.com" and rcpt_tos == ["ada@example.com"]
    assert message["Subject"] == "Reset your password" and message["From"] == "Example Accounts <accounts@example.com>"
    assert message["Message-ID"].endswith("@example.com>")
    link = reset_link(message.get_payload(decode=True).decode())

    row = (await outbox(engine))[0]
    assert row["sent_at"] is not None and row["attempts"] == 1 and row["last_error"] is None
    assert "token=[redacted]" in row["body"] and link.split("token=")[1].split("&")[0] not in row["body"]

    assert (await choose_password(client, link)).status_code == 303
    assert await password_matches(engine, user_id, NEW_PASSWORD)


async def test_failed_delivery_is_retried_then_given_up(client: httpx.AsyncClient, app: Any, smtp_server: SmtpServer) -> None:
    state = app.state.authshift
    await make_user(app, "ada@example.com")
    smtp_server.stop()
    assert (await submit(client, "/forgot-password", {"login_id": "ada@example.com"})).status_code == 200

    async def tried_once() -> bool:
        rows = await outbox(state.engine)
        return rows[0]["attempts"] == 1 and rows[0]["last_error"] is not None

    await wait_for(tried_once)
    row = (await outbox(state.engine))[0]
    assert row["status"] == "pending" and "ConnectionRefusedError" in row["last_error"]
    assert row["next_attempt_at"] > utcnow()  # backed off
    assert await deliver_due(state) == 0  # not due yet

    smtp_server.start()  # the relay is back: the worker sends it once it is due
    async with state.engine.begin() as conn:
        await conn.execute(email_outbox.update().values(next_attempt_at=utcnow()))

    async def sent() -> bool:
        return (await outbox(state.engine))[0]["status"] == "sent"

    await wait_for(sent)
    assert len(smtp_server.inbox.messages) == 1 and (await outbox(state.engine))[0]["attempts"] == 2

    smtp_server.stop()  # a second message that never gets through becomes failed after max_attempts (2)
    assert (await submit(client, "/forgot-password", {"login_id": "ada@example.com"})).status_code == 200
    await wait_for(lambda: _attempts_of_last(state, 1))
    async with state.engine.begin() as conn:
        await conn.execute(email_outbox.update().where(email_outbox.c.status == "pending").values(next_attempt_at=utcnow()))

    async def failed() -> bool:
        return (await outbox(state.engine))[-1]["status"] == "failed"

    await wait_for(failed)
    assert (await outbox(state.engine))[-1]["attempts"] == 2


async def _attempts_of_last(state: Any, attempts: int) -> bool:
    rows = await outbox(state.engine)
    return len(rows) == 2 and rows[-1]["attempts"] == attempts and rows[-1]["last_error"] is not None


async def test_wrong_relay_password_is_recorded_not_leaked(
    settings_env: dict[str, str], smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from authshift.app import create_app
    from authshift.config import load_settings

    for key, value in {**settings_env, "AUTHSHIFT_SMTP__PASSWORD": "wrong-relay-password"}.items():
        monkeypatch.setenv(key, value)
    app = create_app(load_settings(), background=False)
    async with app.router.lifespan_context(app):
        await make_user(app, "ada@example.com")
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:8000") as c:
            assert (await submit(c, "/forgot-password", {"login_id": "ada@example.com"})).status_code == 200
        row = (await outbox(app.state.authshift.engine))[0]
    assert row["status"] == "pending" and "SMTPAuthenticationError" in row["last_error"]
    assert "wrong-relay-password" not in row["last_error"] and smtp_server.inbox.messages == []
