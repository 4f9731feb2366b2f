"""End to end in Chromium: an operator signs in, finds a user and disables them; that user then
cannot sign in; enabled again, they can. The change is in the audit log under the operator."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.console.conftest import PASSWORD, Console, sign_in_browser
from tests.console.db import query
from tests.console.population import SHOP, import_population

pytestmark = pytest.mark.browser


async def user_signs_in(page: Any, url: str, email: str) -> bool:
    """Whether ``email`` gets past the hosted login in a fresh browser context."""
    context = await page.context.browser.new_context()
    try:
        other = await context.new_page()
        await other.goto(f"{url}/login")
        await other.get_by_label("Email, phone number or username").fill(email)
        await other.get_by_label("Password").fill(PASSWORD)
        await other.get_by_role("button", name="Sign in", exact=True).click()
        await other.wait_for_load_state()
        return "/login" not in other.url
    finally:
        await context.close()


async def test_operator_finds_a_user_and_disables_them(console: Console, operator_page: Any, tmp_path: Path,
                                                       db_url: str) -> None:
    import_population(console, tmp_path)
    target = SHOP[2]
    page = operator_page
    assert await user_signs_in(page, console.url, target)

    await page.get_by_role("navigation", name="Console").get_by_role("link", name="Users").click()
    await page.get_by_label("Email, username, phone number, external id or authshift id").fill("shopper2")  # the username
    await page.get_by_role("button", name="Search").click()
    await page.get_by_role("link", name=target).click()
    assert await page.get_by_role("heading", level=1).inner_text() == target
    await page.get_by_label("Reason (kept with the user)").fill("asked to close the account")
    await page.get_by_role("button", name="Disable").click()
    assert "The user is disabled" in await page.get_by_role("status").inner_text()
    assert "disabled" in await page.locator("main .badge").first.inner_text()

    assert not await user_signs_in(page, console.url, target)
    rows = await query(db_url, "SELECT a.actor, a.action, a.details FROM audit_log a WHERE a.action = 'user.disabled'")
    assert len(rows) == 1 and rows[0][0] == f"console:{console.operator}"
    assert "asked to close the account" in str(rows[0][2])
    events = await page.locator("#events tbody").inner_text()
    assert "user.disabled" in events and f"console:{console.operator}" in events

    await page.get_by_role("button", name="Enable").click()
    assert "The user is enabled again" in await page.get_by_role("status").inner_text()
    assert await user_signs_in(page, console.url, target)
