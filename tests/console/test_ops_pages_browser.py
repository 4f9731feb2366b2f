"""The Imports, Exports, Integrations and API pages in Chromium: axe-core finds no accessibility
violation on the console's own pages, they work by keyboard, and their screenshots go into
docs/images for the operator's guide (docs/console.md)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.console.a11y import assert_accessible, install_axe
from tests.console.conftest import Console, shoot, sign_in_browser
from tests.console.test_imports_page import users_file

pytestmark = pytest.mark.browser


async def test_imports_exports_integrations_and_api_pages(console: Console, browser_page: Any, tmp_path: Path,
                                                          backend: str) -> None:
    page = browser_page
    await install_axe(page)
    await sign_in_browser(page, console.url, console.operator)
    await page.wait_for_url(f"{console.url}/console/")

    await page.goto(f"{console.url}/console/imports")
    await assert_accessible(page)
    await page.get_by_label("File (NDJSON").set_input_files(str(users_file(tmp_path)))
    await page.get_by_label("Source").fill("legacy-app")
    await page.get_by_label("Source").focus()  # the form works by keyboard: Enter in a field submits it
    await page.keyboard.press("Enter")
    await page.wait_for_url(re.compile(r"/console/imports/[0-9a-f-]{36}$"))
    await page.locator('[data-live="state"]', has_text="completed").wait_for(timeout=60_000)
    await assert_accessible(page)
    await shoot(page, "import", backend)
    await page.goto(f"{console.url}/console/imports")
    await shoot(page, "imports", backend)
    await page.get_by_role("link", name="legacy-users.ndjson").click()
    await page.get_by_role("link", name="Undo this import…").click()
    await assert_accessible(page)

    await page.goto(f"{console.url}/console/exports")
    await page.get_by_label("Format").select_option("csv")
    await page.get_by_role("button", name="Start the export").click()
    await page.locator('[data-export="state"]', has_text="completed").wait_for(timeout=60_000)
    await assert_accessible(page)
    await shoot(page, "export", backend)
    await page.goto(f"{console.url}/console/exports")
    await assert_accessible(page)
    await shoot(page, "exports", backend)

    await page.goto(f"{console.url}/console/integrations")
    await page.get_by_label("Name", exact=True).fill("Shop")
    await page.get_by_label("Redirect URIs (one a line)").fill("https://shop.example.com/callback")
    await page.get_by_role("button", name="Register the client").click()
    await page.locator("#created-secret").wait_for()
    await assert_accessible(page)
    await page.goto(f"{console.url}/console/integrations")
    await assert_accessible(page)
    await shoot(page, "integrations", backend)

    # Swagger UI is third-party markup: checked for working (test_api_page.py), not by axe
    await page.goto(f"{console.url}/console/api")
    await page.locator(".opblock").first.wait_for(timeout=30_000)
    await shoot(page, "api", backend)
