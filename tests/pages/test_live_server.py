"""The account pages served by a real ``authshift serve`` process, driven over TCP like a browser."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx

from authshift.accounts import users
from authshift.storage.db import create_engine
from tests.pages.helpers import GOOD_PASSWORD, csrf_token, outbox, password_matches, reset_link
from tests.support.servers import LiveServer

NEW_PASSWORD = "reset through the live server"


async def test_signup_forgot_and_reset_on_a_live_server(live_server: LiveServer, db_url: str) -> None:
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as browser:
        form = await browser.get("/signup", params={"return_to": "/authorize?client_id=app"})
        assert form.status_code == 200
        created = await browser.post("/signup", data={
            "csrf_token": csrf_token(form.text), "email": "live@example.com", "password": GOOD_PASSWORD,
            "password_confirm": GOOD_PASSWORD, "return_to": "/authorize?client_id=app",
        })
        assert created.status_code == 303, created.text
        assert created.headers["location"] == "/login?return_to=%2Fauthorize%3Fclient_id%3Dapp&notice=signed_up"

        forgot = await browser.get("/forgot-password")
        sent = await browser.post("/forgot-password", data={"csrf_token": csrf_token(forgot.text), "login_id": "LIVE@example.com"})
        assert sent.status_code == 200 and "Check your email" in sent.text

        engine = create_engine(db_url)
        try:
            (mail,) = await outbox(engine)
            link = reset_link(mail["body"])
            assert link.startswith(live_server.url + "/reset-password?token=")  # the issuer defaults to this server
            parts = urlsplit(link)
            page = await browser.get(f"{parts.path}?{parts.query}")
            token = page.text.split('name="token" value="')[1].split('"')[0]
            done = await browser.post("/reset-password", data={
                "csrf_token": csrf_token(page.text), "token": token, "password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD,
            })
            assert done.status_code == 303 and done.headers["location"] == "/login?notice=password_reset"
            async with engine.connect() as conn:
                user_id = await users.find_user_id(conn, "live@example.com")
            assert user_id is not None and await password_matches(engine, user_id, NEW_PASSWORD)
        finally:
            await engine.dispose()
    assert "reset-password?token=[redacted]" in live_server.log() and token not in live_server.log()
