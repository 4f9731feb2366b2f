"""A real browser: headless Chromium (Debian's package) driven by Playwright signs in through the
hosted pages, with TOTP, and lands on the application's redirect URI with a code."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterator
from urllib.parse import urlencode

import httpx
import pytest

from authshift.accounts.totp import current_code
from tests.oidc.helpers import pkce_pair, query_of
from tests.support.legacy_tokens import JsonServer
from tests.support.servers import LiveServer, arun_cli

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--headless=new", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SCREENSHOT = "/tmp/authshift-login.png"
PASSWORD = "correct horse battery"
TOTP_SECRET = b"browser-totp-secret-01"


def _browser_unavailable() -> str | None:
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed"
    if not os.access(CHROMIUM, os.X_OK):
        return f"{CHROMIUM} is missing (install Debian's chromium: scripts/install-test-deps.sh)"
    return None


CALLBACK_HITS: list[str] = []  # the paths that reached the relying party


@pytest.fixture
def app_server() -> Iterator[str]:
    """The relying party's redirect target: a tiny HTTP server that records what reaches it."""
    CALLBACK_HITS.clear()

    def answer(path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        CALLBACK_HITS.append(path)
        return 200, b"<!doctype html><title>Example app</title><p>Back in the app.</p>"

    with JsonServer(answer) as server:
        yield server.url


async def test_chromium_signs_in_with_totp(live_server: LiveServer, settings_env: dict[str, str], app_server: str) -> None:
    reason = _browser_unavailable()
    if reason:
        print(f"SKIPPED browser test: {reason}")
        pytest.skip(reason)
    from playwright.async_api import async_playwright

    env = {**settings_env, "AUTHSHIFT_PORT": str(live_server.port)}
    record = {"email": "browser@example.com", "password": PASSWORD,
              "mfa": {"totp": [{"secret": base64.b32encode(TOTP_SECRET).decode(), "encoding": "base32"}]}}
    made = await arun_cli(["users", "create"], env, input=json.dumps(record))
    assert made.returncode == 0, made.stderr
    redirect_uri = f"{app_server}/callback"
    created = await arun_cli(["clients", "create", "--name", "Example App", "--public", "--redirect-uri", redirect_uri], env)
    assert created.returncode == 0, created.stderr
    client_id = json.loads(created.stdout)["client_id"]
    verifier, challenge = pkce_pair()
    authorize = f"{live_server.url}/oauth2/authorize?" + urlencode({
        "client_id": client_id, "redirect_uri": redirect_uri, "response_type": "code", "scope": "openid email",
        "state": "browser-state", "nonce": "browser-nonce", "code_challenge": challenge, "code_challenge_method": "S256"})

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = await browser.new_page(viewport={"width": 900, "height": 760})
            await page.goto(authorize)
            assert await page.title() == "Sign in · authshift"
            assert await page.get_attribute("html", "lang") == "en"
            await page.wait_for_load_state("networkidle")
            await page.screenshot(path=SCREENSHOT, full_page=True)
            await page.get_by_label("Email, phone number or username").fill("browser@example.com")
            await page.get_by_label("Password").fill("not the password")
            await page.get_by_role("button", name="Sign in").click()
            await page.wait_for_load_state()
            assert "The login ID or password is incorrect." in await page.get_by_role("alert").inner_text()

            await page.get_by_label("Password").fill(PASSWORD)
            await page.get_by_role("button", name="Sign in").click()
            await page.wait_for_url("**/login/totp**")
            await page.get_by_label("Verification code").fill(current_code(TOTP_SECRET))
            await page.get_by_role("button", name="Verify").click()
            await page.wait_for_url(f"{redirect_uri}?**")
            landed = page.url
            assert "Back in the app." in await page.content()
        finally:
            await browser.close()

    query = query_of(landed)
    assert query["state"] == "browser-state" and query["iss"] == live_server.url
    assert any(hit.startswith("/callback?code=") for hit in CALLBACK_HITS)
    tokens = httpx.post(f"{live_server.url}/oauth2/token", data={
        "grant_type": "authorization_code", "code": query["code"], "redirect_uri": redirect_uri, "client_id": client_id,
        "code_verifier": verifier})
    assert tokens.status_code == 200, tokens.text
    assert {"access_token", "id_token"} <= set(tokens.json())
    assert os.path.getsize(SCREENSHOT) > 10_000
