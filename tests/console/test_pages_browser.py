"""Every console page in Chromium: axe-core finds no accessibility violation, the page works by
keyboard (skip link, labelled controls), and its screenshot goes into docs/images for the guide."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.console.a11y import assert_accessible, install_axe
from tests.console.conftest import Console, shoot, sign_in_browser
from tests.console.population import SHOP, TOTP, import_population

pytestmark = pytest.mark.browser


async def test_every_page_passes_axe_and_works_by_keyboard(console: Console, browser_page: Any, tmp_path: Path,
                                                           backend: str) -> None:
    import_population(console, tmp_path)
    page = browser_page
    await install_axe(page)
    await sign_in_browser(page, console.url, console.operator)
    await page.wait_for_url(f"{console.url}/console/")
    await page.get_by_role("button", name="Update the history now").click()
    await page.wait_for_url(f"{console.url}/console/?notice=refreshed")

    # Keyboard: the first Tab reaches the skip link, which moves focus to the page's content.
    await page.keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.textContent") == "Skip to main content"
    await page.keyboard.press("Enter")
    assert await page.evaluate("document.activeElement.id") == "main"
    await assert_accessible(page)
    await shoot(page, "overview", backend)

    await page.get_by_role("navigation", name="Console").get_by_role("link", name="Users").click()
    await assert_accessible(page)
    await page.get_by_label("Email, username, phone number, external id or authshift id").fill(TOTP)
    await page.keyboard.press("Enter")
    await page.wait_for_url("**/console/users?q=*")
    await assert_accessible(page)
    await shoot(page, "users", backend)
    await page.get_by_role("link", name=TOTP).click()
    await page.wait_for_url("**/console/users/*")
    factors = await page.locator("#factors li").all_inner_texts()
    assert "authenticator app (TOTP)" in factors and "recovery codes (2 unused)" in factors
    assert "JBSWY3DPEHPK3PXP" not in await page.content() and "$2b$" not in await page.content()
    await assert_accessible(page)
    await shoot(page, "user", backend)
    await page.get_by_role("link", name="Delete…").click()
    await assert_accessible(page)
    await page.get_by_role("link", name="Keep the user").click()

    await page.get_by_role("navigation", name="Console").get_by_role("link", name="Audit log").click()
    await page.get_by_label("Action").fill("console.signed_in")
    await page.get_by_label("Action").press("Enter")
    await page.wait_for_url("**/console/audit?*")
    assert await page.locator("#audit tbody tr").count() == 1
    await assert_accessible(page)
    await page.get_by_role("link", name="Clear the filters").click()
    await assert_accessible(page)
    await shoot(page, "audit", backend)

    await page.goto(f"{console.url}/console/users/00000000-0000-0000-0000-000000000000")
    await assert_accessible(page)
    await page.get_by_role("button", name="Sign out").click()
    await assert_accessible(page)

    await page.context.clear_cookies()
    await sign_in_browser(page, console.url, SHOP[0])
    assert "not a console operator" in await page.get_by_role("alert").inner_text()
    await assert_accessible(page)
    await shoot(page, "refused", backend)
