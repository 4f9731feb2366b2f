"""The account area in a real browser (Debian's Chromium via Playwright): a person sets up an
authenticator app from the QR page's key, makes recovery codes and uses them to sign in (each
once), changes their password, signs another browser's session out and removes the app; every
change reaches the outbox as its event."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest
import sqlalchemy as sa

from authshift.accounts.totp import current_code
from authshift.storage.db import create_engine
from tests.passkeys.browser import CHROMIUM, CHROMIUM_ARGS, chromium_with_authenticator
from tests.support.servers import LiveServer, arun_cli

pytestmark = pytest.mark.browser

PASSWORD, NEW_PASSWORD = "correct horse battery", "a much better passphrase 42"
NO_CONDITIONAL_UI = "PublicKeyCredential.isConditionalMediationAvailable = () => Promise.resolve(false);"


async def sign_in(page: Any, origin: str, password: str, second: str | None = None) -> None:
    await page.goto(f"{origin}/login")
    await page.get_by_label("Email, phone number or username").fill("ada@example.com")
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Sign in", exact=True).click()
    if second is not None:
        await page.wait_for_url(f"{origin}/login/totp")
        await page.get_by_label("Verification code").fill(second)
        await page.get_by_role("button", name="Verify").click()
    await page.wait_for_url(f"{origin}/")


async def event_types(db_url: str) -> list[tuple[str, Any]]:
    engine = create_engine(db_url)
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(sa.text("SELECT type, data FROM events ORDER BY id"))).all()
    finally:
        await engine.dispose()
    return [(r.type, r.data if isinstance(r.data, dict) else json.loads(r.data)) for r in rows]


async def test_totp_recovery_codes_password_and_sessions(localhost_server: LiveServer, origin: str, db_url: str) -> None:
    made = await arun_cli(["users", "create"], localhost_server.env, input=json.dumps({"email": "ada@example.com", "password": PASSWORD}))
    assert made.returncode == 0, made.stderr
    async with chromium_with_authenticator() as tab:
        page = tab.page
        await page.add_init_script(NO_CONDITIONAL_UI)
        await sign_in(page, origin, PASSWORD)
        await page.goto(f"{origin}/account")
        await page.get_by_role("link", name="Set up an authenticator app").click()
        await page.wait_for_url(f"{origin}/account/totp")
        assert await page.locator(".qr-box svg title").text_content() == "QR code for your authenticator app"
        typed_key = (await page.locator("#totp-secret").inner_text()).replace(" ", "")
        secret = base64.b32decode(typed_key + "=" * (-len(typed_key) % 8))

        await page.get_by_label("Code from the app").fill("000000" if current_code(secret) != "000000" else "111111")
        await page.get_by_role("button", name="Turn on").click()
        assert "That code is not right" in await page.get_by_role("alert").inner_text()
        assert (await page.locator("#totp-secret").inner_text()).replace(" ", "") == typed_key  # the same key again
        await page.get_by_label("Code from the app").fill(current_code(secret))
        await page.get_by_role("button", name="Turn on").click()
        await page.wait_for_url(f"{origin}/account?notice=totp_added")
        assert "Authenticator app: on" in await page.content()

        await page.get_by_role("button", name="Make new recovery codes").click()
        codes = [c.strip() for c in await page.get_by_role("list", name="Recovery codes").locator("li").all_inner_texts()]
        assert len(codes) == 10 and len(set(codes)) == 10

        # A recovery code signs in once; the second time it is refused.
        await page.context.clear_cookies()
        await sign_in(page, origin, PASSWORD, second=codes[0])
        await page.context.clear_cookies()
        await page.goto(f"{origin}/login")
        await page.get_by_label("Email, phone number or username").fill("ada@example.com")
        await page.get_by_label("Password").fill(PASSWORD)
        await page.get_by_role("button", name="Sign in", exact=True).click()
        await page.wait_for_url(f"{origin}/login/totp")
        await page.get_by_label("Verification code").fill(codes[0])
        await page.get_by_role("button", name="Verify").click()
        assert "That code is not right" in await page.get_by_role("alert").inner_text()
        # The app's next code (the enrolment used this step's) signs in.
        await page.get_by_label("Verification code").fill(current_code(secret, at=time.time() + 30))
        await page.get_by_role("button", name="Verify").click()
        await page.wait_for_url(f"{origin}/")

        # Change the password: the current one is checked, the policy applies, the new one works.
        await page.goto(f"{origin}/account/password")
        await page.get_by_label("Current password").fill("not it at all")
        await page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
        await page.get_by_label("New password again").fill(NEW_PASSWORD)
        await page.get_by_role("button", name="Change password").click()
        assert "Your current password is not right." in await page.content()
        await page.get_by_label("Current password").fill(PASSWORD)
        await page.get_by_label("New password", exact=True).fill("short")
        await page.get_by_label("New password again").fill("short")
        await page.get_by_role("button", name="Change password").click()
        assert await page.locator("#password-error").is_visible()
        await page.get_by_label("Current password").fill(PASSWORD)
        await page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
        await page.get_by_label("New password again").fill(NEW_PASSWORD)
        await page.get_by_role("button", name="Change password").click()
        await page.wait_for_url(f"{origin}/account?notice=password_changed")

        # A second browser signs in with the new password; the first signs it out.
        from playwright.async_api import async_playwright

        async with async_playwright() as pw:
            other_browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            try:
                other = await (await other_browser.new_context()).new_page()
                await other.add_init_script(NO_CONDITIONAL_UI)
                await sign_in(other, origin, NEW_PASSWORD, second=codes[1])
                await page.goto(f"{origin}/account")
                sessions = page.get_by_role("list", name="Your sessions")
                # Four sign-ins (cookies were cleared between the first three), newest first: the
                # other browser's, then this browser's.
                items = sessions.locator("li")
                assert await items.count() == 4
                assert "This browser" in await items.nth(1).inner_text()
                assert "This browser" not in await items.nth(0).inner_text()
                await items.nth(0).get_by_role("button", name="Sign out", exact=True).click()
                await page.wait_for_url(f"{origin}/account?notice=session_revoked")
                await other.goto(f"{origin}/account")
                await other.wait_for_url(f"{origin}/login?**")
            finally:
                await other_browser.close()

        await page.get_by_role("button", name="Remove the authenticator app").click()
        await page.wait_for_url(f"{origin}/account?notice=totp_removed")
        assert "Authenticator app: off" in await page.content()

    seen = await event_types(db_url)
    types = [t for t, _ in seen]
    assert ("mfa.enrolled", "totp") in [(t, d.get("factor")) for t, d in seen]
    assert ("mfa.enrolled", "recovery_codes") in [(t, d.get("factor")) for t, d in seen]
    assert ("mfa.removed", "totp") in [(t, d.get("factor")) for t, d in seen]
    assert "password.changed" in types and "session.revoked" in types
    assert not any(codes[2] in json.dumps(d) for _, d in seen)  # recovery codes never leave in an event
