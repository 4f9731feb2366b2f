"""What a real ``authshift serve`` sends (issue #14): a Content-Security-Policy that allows no inline
script, HSTS when the issuer is https, no ``server`` banner; and ``X-Forwarded-For`` believed only
from ``trusted_proxies``, so a client cannot choose the address the throttle counts it by."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.oidc.helpers import only_form
from tests.support.servers import LiveServer, run_cli

PAGES = ["/login", "/signup", "/forgot-password", "/"]
PASSWORD = "correct horse battery"
ACCOUNT_LIMIT = 3
CHROMIUM = "/usr/bin/chromium"


def _csp(value: str) -> dict[str, str]:
    return {d.split()[0]: d.partition(" ")[2] for d in (p.strip() for p in value.split(";")) if d}


@pytest.fixture
def https_server(settings_env: dict[str, str], tmp_path: Path) -> Iterator[LiveServer]:
    server = LiveServer({**settings_env, "AUTHSHIFT_ISSUER": "https://login.example.test"}, tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_pages_send_a_real_csp_hsts_and_no_banner(https_server: LiveServer) -> None:
    with httpx.Client(base_url=https_server.url, timeout=30) as http:
        for path in [*PAGES, "/static/authshift.css", "/healthz", "/.well-known/openid-configuration"]:
            resp = http.get(path)
            assert resp.status_code == 200, (path, resp.status_code)
            assert "server" not in resp.headers, (path, resp.headers.get("server"))
            assert resp.headers["strict-transport-security"] == "max-age=31536000", path
        for path in PAGES:
            resp = http.get(path)
            csp = _csp(resp.headers["content-security-policy"])
            assert csp["default-src"] == "'self'" and csp["script-src"] == "'self'" and csp["style-src"] == "'self'"
            assert csp["frame-ancestors"] == "'none'" and csp["object-src"] == "'none'"
            assert "unsafe-inline" not in resp.headers["content-security-policy"]
            # nothing inline that the policy would block: no script, style element or attribute, handler
            assert not re.search(r"<script(?![^>]*\bsrc=)|<style|\sstyle=|\son[a-z]+=", resp.text, re.I), path


def test_no_hsts_on_http_and_forwarded_headers_are_not_believed_by_default(live_server: LiveServer,
                                                                           settings_env: dict[str, str]) -> None:
    with httpx.Client(base_url=live_server.url, timeout=30) as http:
        assert "strict-transport-security" not in http.get("/login").headers
        assert "server" not in http.get("/login").headers
    made = run_cli(["users", "create"], {**settings_env, "AUTHSHIFT_PORT": str(live_server.port)},
                   input='{"email": "xff@example.com", "password": "%s"}' % PASSWORD)
    assert made.returncode == 0, made.stderr
    # every attempt claims another address: all of them are the TCP peer's, and share its budget
    statuses = [_post_login(live_server, "xff@example.com", "guess", f"203.0.113.{i}") for i in range(ACCOUNT_LIMIT)]
    assert statuses == [400] * ACCOUNT_LIMIT
    assert _post_login(live_server, "xff@example.com", PASSWORD, "198.51.100.1") == 429


def test_a_trusted_proxy_gives_each_client_its_own_budget(settings_env: dict[str, str], tmp_path: Path) -> None:
    env = {**settings_env, "AUTHSHIFT_THROTTLE__ACCOUNT_MAX_ATTEMPTS": str(ACCOUNT_LIMIT),
           "AUTHSHIFT_TRUSTED_PROXIES": "127.0.0.1"}
    server = LiveServer(env, tmp_path)
    server.start()
    try:
        made = run_cli(["users", "create"], {**env, "AUTHSHIFT_PORT": str(server.port)},
                       input='{"email": "lb@example.com", "password": "%s"}' % PASSWORD)
        assert made.returncode == 0, made.stderr
        attacker = "203.0.113.66"
        assert [_post_login(server, "lb@example.com", "guess", attacker) for _ in range(ACCOUNT_LIMIT)] == [400] * ACCOUNT_LIMIT
        assert _post_login(server, "lb@example.com", PASSWORD, attacker) == 429
        # the owner, behind the same load balancer, is another client: not locked out
        assert _post_login(server, "lb@example.com", PASSWORD, "198.51.100.20") == 303
    finally:
        server.stop()


def _post_login(server: LiveServer, login_id: str, password: str, forwarded_for: str) -> int:
    with httpx.Client(base_url=server.url, timeout=30, headers={"X-Forwarded-For": forwarded_for}) as http:
        page = http.get("/login")
        form = only_form(page.text)
        return http.post("/login", data={**form.fields, "login_id": login_id, "password": password}).status_code


@pytest.fixture
def settings_env(settings_env: dict[str, str]) -> dict[str, str]:
    return {**settings_env, "AUTHSHIFT_THROTTLE__ACCOUNT_MAX_ATTEMPTS": str(ACCOUNT_LIMIT)}


@pytest.mark.browser
async def test_chromium_renders_the_pages_under_the_policy_without_a_violation(live_server: LiveServer) -> None:
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        pytest.skip("the playwright package is not installed")
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} is missing")
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--headless=new"], headless=True)
        try:
            page = await browser.new_page()
            console: list[str] = []
            page.on("console", lambda msg: console.append(msg.text))
            for path in PAGES[:3]:
                await page.goto(live_server.url + path)
                await page.wait_for_load_state("networkidle")
                # the stylesheet applied (the policy lets this origin's own files through)
                background = await page.evaluate("getComputedStyle(document.body).backgroundColor")
                assert background == "rgb(244, 245, 247)", (path, background)
            assert not [m for m in console if "Content Security Policy" in m], console
        finally:
            await browser.close()
