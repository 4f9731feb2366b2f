"""Passkeys in a real browser: Debian's Chromium, driven by Playwright, with a DevTools virtual
authenticator. A person registers a passkey in the account area, signs out, and signs in with it
without typing a login ID; a passkey also stands in for the second factor after the password."""

from __future__ import annotations

import json

import pytest

from tests.passkeys.browser import chromium_with_authenticator
from tests.support.servers import LiveServer, run_cli

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"
NO_CONDITIONAL_UI = "PublicKeyCredential.isConditionalMediationAvailable = () => Promise.resolve(false);"


def make_user(server: LiveServer, email: str) -> None:
    made = run_cli(["users", "create"], server.env, input=json.dumps({"email": email, "password": PASSWORD}))
    assert made.returncode == 0, made.stderr


async def sign_in_with_password(page: object, origin: str, email: str) -> None:
    await page.goto(f"{origin}/login")  # type: ignore[attr-defined]
    await page.get_by_label("Email, phone number or username").fill(email)  # type: ignore[attr-defined]
    await page.get_by_label("Password").fill(PASSWORD)  # type: ignore[attr-defined]
    await page.get_by_role("button", name="Sign in", exact=True).click()  # type: ignore[attr-defined]


async def test_register_a_passkey_then_sign_in_with_it(localhost_server: LiveServer, origin: str) -> None:
    make_user(localhost_server, "pat@example.com")
    async with chromium_with_authenticator() as tab:
        page = tab.page
        await sign_in_with_password(page, origin, "pat@example.com")
        await page.wait_for_url(f"{origin}/")
        await page.get_by_role("link", name="Manage your account").click()
        await page.wait_for_url(f"{origin}/account")
        assert "You have no passkeys yet." in await page.content()
        await page.get_by_label("Name of the new passkey").fill("Work laptop")
        await page.get_by_role("button", name="Add a passkey").click()
        await page.wait_for_url(f"{origin}/account?notice=passkey_added")
        assert "Your passkey was added." in await page.get_by_role("status").first.inner_text()
        listed = await page.get_by_role("list", name="Your passkeys").inner_text()
        assert "Work laptop" in listed and "not used yet" in listed
        stored = await tab.credentials()
        assert len(stored) == 1 and stored[0]["isResidentCredential"] and stored[0]["rpId"] == "localhost"

        await page.get_by_role("link", name="Back").click()
        await page.get_by_role("button", name="Sign out").click()
        # Conditional UI: the login page asks for a passkey as it loads (autofill on the login ID
        # field); the virtual authenticator answers at once, as a person picking it would.
        await page.goto(f"{origin}/login")
        await page.wait_for_url(f"{origin}/")
        assert "Signed in as" in await page.content() and "pat@example.com" in await page.content()

        # A browser without conditional UI: the "Use a passkey" button.
        await page.add_init_script(NO_CONDITIONAL_UI)
        await page.get_by_role("button", name="Sign out").click()
        await page.goto(f"{origin}/login")
        await page.get_by_role("button", name="Use a passkey").click()
        await page.wait_for_url(f"{origin}/")
        assert "pat@example.com" in await page.content()
        await page.goto(f"{origin}/account")
        listed = await page.get_by_role("list", name="Your passkeys").inner_text()
        assert "Work laptop" in listed and "last used" in listed

        # With a passkey, the password alone is no longer enough: the passkey is the second step.
        await page.context.clear_cookies()
        await sign_in_with_password(page, origin, "pat@example.com")
        await page.wait_for_url(f"{origin}/login/totp")
        assert "Use your passkey, or enter a recovery code." in await page.content()
        await page.get_by_role("button", name="Use a passkey").click()
        await page.wait_for_url(f"{origin}/")
        assert "pat@example.com" in await page.content()

        # Removed in the account area: the browser's passkey no longer signs in.
        await page.goto(f"{origin}/account")
        await page.get_by_role("button", name="Remove passkey Work laptop").click()
        await page.wait_for_url(f"{origin}/account?notice=passkey_removed")
        assert "You have no passkeys yet." in await page.content()
        await page.context.clear_cookies()
        await page.goto(f"{origin}/login")
        await page.get_by_role("button", name="Use a passkey").click()
        await page.wait_for_load_state()
        alert = page.get_by_role("alert")
        await alert.wait_for()
        assert "That passkey is not registered here" in await alert.inner_text()
