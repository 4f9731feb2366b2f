"""Headless Chromium with a DevTools virtual authenticator (the WebAuthn domain), for passkey tests.

WebAuthn refuses IP addresses as RP IDs, so the server's issuer is ``http://localhost:<port>``
(a secure context, like https) and the browser goes there.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--headless=new", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def require_browser() -> None:
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        pytest.skip("the playwright package is not installed")
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} is missing (install Debian's chromium: scripts/install-test-deps.sh)")


@dataclass
class Tab:
    page: Any
    cdp: Any
    authenticator_id: str

    async def credentials(self) -> list[dict[str, Any]]:
        got = await self.cdp.send("WebAuthn.getCredentials", {"authenticatorId": self.authenticator_id})
        return list(got["credentials"])

    async def add_credential(self, credential: dict[str, Any]) -> None:
        await self.cdp.send("WebAuthn.addCredential", {"authenticatorId": self.authenticator_id, "credential": credential})


@asynccontextmanager
async def chromium_with_authenticator() -> AsyncIterator[Tab]:
    """A page whose browser has a platform authenticator holding discoverable credentials, with
    user verification that succeeds (a fingerprint or PIN, simulated)."""
    require_browser()
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            context = await browser.new_context(viewport={"width": 900, "height": 900})
            page = await context.new_page()
            cdp = await context.new_cdp_session(page)
            await cdp.send("WebAuthn.enable")
            added = await cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
                "protocol": "ctap2", "transport": "internal", "hasResidentKey": True,
                "hasUserVerification": True, "isUserVerified": True, "automaticPresenceSimulation": True,
            }})
            yield Tab(page, cdp, added["authenticatorId"])
        finally:
            await browser.close()


# Conditional UI (autofill) off, so the tests press the "Use a passkey" button as a person would.
NO_CONDITIONAL_UI = "PublicKeyCredential.isConditionalMediationAvailable = () => Promise.resolve(false);"


@asynccontextmanager
async def signed_in_with_passkey(origin: str, credential: dict[str, Any]) -> AsyncIterator[Any]:
    """A browser whose authenticator holds ``credential`` signs in on ``origin``'s login page with
    "Use a passkey" (no login ID typed); yields the page, on the signed-in home page."""
    async with chromium_with_authenticator() as tab:
        await tab.add_credential(credential)
        page = tab.page
        await page.add_init_script(NO_CONDITIONAL_UI)
        await page.goto(f"{origin}/login")
        await page.get_by_role("button", name="Use a passkey").click()
        await page.wait_for_url(f"{origin}/")
        yield page
