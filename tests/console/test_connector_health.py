"""The Overview's legacy connector section: the real connector's circuit breaker and its recent
calls, after calls to a legacy system that does not answer."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from authshift.accounts.users import create_user
from authshift.app import create_app
from authshift.config import load_settings
from authshift.console.sessions import COOKIE_NAME, start_session
from authshift.console.tables import console_operators
from authshift.migration.rolling.legacy_client import LegacyUnavailable
from authshift.storage.types import utcnow
from tests.support.servers import free_port

SECRET = "whsec_" + base64.b64encode(b"k" * 32).decode()


@pytest.fixture
async def legacy_app(settings_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Any]:
    for key, value in {**settings_env, "AUTHSHIFT_MIGRATION__LEGACY__VERIFY_URL": f"http://127.0.0.1:{free_port()}/verify",
                       "AUTHSHIFT_MIGRATION__LEGACY__SECRET": SECRET,
                       "AUTHSHIFT_MIGRATION__LEGACY__BREAKER_FAILURES": "2"}.items():
        monkeypatch.setenv(key, value)
    application = create_app(load_settings(), background=False)
    async with application.router.lifespan_context(application):
        yield application


async def test_breaker_and_failed_calls_are_shown(legacy_app: Any) -> None:
    state = legacy_app.state.authshift
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=legacy_app), base_url="http://127.0.0.1:8000") as client:
        async with state.engine.begin() as conn:  # an operator with a console session
            uid = await create_user(conn, {"email": "ops@example.com"}, ctx=state.accounts)
            await conn.execute(console_operators.insert().values(user_id=uid, granted_at=utcnow(), granted_by="test"))
            token = await start_session(conn, uid, state.settings.console)
        client.cookies.set(COOKIE_NAME, token, path="/console")

        healthy = await client.get("/console/")
        assert "Circuit breaker" in healthy.text and ">closed<" in healthy.text and "no calls" in healthy.text

        for _ in range(3):  # nothing listens there: two failures open the breaker, the third call is refused
            with pytest.raises(LegacyUnavailable):
                await state.legacy_client.verify("someone@example.com", "a password")
        page = (await client.get("/console/")).text
        assert ">open<" in page
        assert "Calls, last 5 minutes</dt><dd>2 (and 1 refused by the open breaker)" in page
        assert "100.0% (2 failed)" in page and "median" in page
