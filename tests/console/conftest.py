"""The console's tests: a real ``authshift serve``, an operator and a non-operator made with the
real CLI, and clients (HTTP and Chromium) signed in through the real hosted login.

Fixtures for console pages:
- ``console``: the server (``console.url``), ``console.cli(...)`` and the two accounts.
- ``operator_http``: an ``httpx.Client`` signed in to the console as the operator (cookies kept).
- ``operator_page``: a Playwright page (Debian's Chromium) signed in to the console as the operator.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.passkeys.browser import CHROMIUM, CHROMIUM_ARGS, require_browser
from tests.support.servers import LiveServer, run_cli

OPERATOR, NON_OPERATOR = "ops@example.com", "someone@example.com"
PASSWORD = "correct horse battery"


@dataclass
class Console:
    server: LiveServer
    operator: str = OPERATOR
    non_operator: str = NON_OPERATOR
    password: str = PASSWORD

    @property
    def url(self) -> str:
        return self.server.url

    def cli(self, *args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
        return run_cli(list(args), self.server.env, input=input)

    def create_user(self, email: str, password: str = PASSWORD, **extra: Any) -> str:
        made = self.cli("users", "create", input=json.dumps({"email": email, "password": password, **extra}))
        assert made.returncode == 0, made.stderr
        return str(json.loads(made.stdout)["id"])


@pytest.fixture
def console(live_server: LiveServer) -> Console:
    made = Console(live_server)
    made.create_user(OPERATOR)
    made.create_user(NON_OPERATOR)
    granted = made.cli("users", "grant-console", OPERATOR)
    assert granted.returncode == 0, granted.stderr
    return made


def form_fields(html: str) -> dict[str, str]:
    """The hidden fields of the first form on a page (the hosted login's CSRF token and return_to)."""
    form = html.split("<form", 1)[1].split("</form>", 1)[0]
    return {unescape(n): unescape(v) for n, v in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form)}


def sign_in_http(url: str, email: str, password: str = PASSWORD) -> tuple[httpx.Client, httpx.Response]:
    """Open the console, get sent to the hosted login, sign in there and follow the redirects back."""
    client = httpx.Client(base_url=url, follow_redirects=True, timeout=30)
    login = client.get("/console/")
    assert login.url.path == "/login", login.url
    answer = client.post("/login", data={**form_fields(login.text), "login_id": email, "password": password})
    return client, answer


@pytest.fixture
def operator_http(console: Console) -> Iterator[httpx.Client]:
    client, answer = sign_in_http(console.url, console.operator)
    try:
        assert answer.status_code == 200 and answer.url.path == "/console/", (answer.url, answer.text[:500])
        yield client
    finally:
        client.close()


async def sign_in_browser(page: Any, url: str, email: str, password: str = PASSWORD) -> None:
    await page.goto(f"{url}/console/")
    await page.get_by_label("Email, phone number or username").fill(email)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Sign in", exact=True).click()
    await page.wait_for_load_state()


@pytest.fixture
async def browser_page() -> AsyncIterator[Any]:
    """A fresh page of headless Debian Chromium."""
    require_browser()
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            context = await browser.new_context(viewport={"width": 1280, "height": 900})
            yield await context.new_page()
        finally:
            await browser.close()


@pytest.fixture
async def operator_page(console: Console, browser_page: Any) -> Any:
    await sign_in_browser(browser_page, console.url, console.operator)
    await browser_page.wait_for_url(f"{console.url}/console/")
    return browser_page


IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"


async def shoot(page: Any, name: str, backend: str) -> None:
    """The guide's screenshot (from the SQLite run only, so both runs do not write it)."""
    if backend == "sqlite":
        IMAGES.mkdir(exist_ok=True)
        await page.screenshot(path=str(IMAGES / f"console-{name}.png"), full_page=True)
