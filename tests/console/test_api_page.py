"""The API page: Swagger UI (vendored, offline) lists every operation of the admin API's OpenAPI
document, under the console's CSP with no inline script; only operators see the page."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from authshift.console.api_docs import ASSET_PREFIX
from tests.console.conftest import Console

pytestmark = pytest.mark.browser


async def test_swagger_ui_lists_the_admin_api_operations_offline(console: Console, operator_page: Any) -> None:
    page = operator_page
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(console.url) else None)

    await page.get_by_role("navigation", name="Console").get_by_role("link", name="API").click()
    await page.wait_for_url(f"{console.url}/console/api")
    await page.locator(".opblock").first.wait_for(timeout=30_000)
    shown = {(m.strip().upper(), p.strip().replace("\u200b", "")) for m, p in zip(
        await page.locator(".opblock .opblock-summary-method").all_inner_texts(),
        await page.locator(".opblock .opblock-summary-path").all_inner_texts(), strict=False)}

    document = httpx.get(f"{console.url}/api/admin/openapi.json").json()
    expected = {(method.upper(), path) for path, ops in document["paths"].items() for method in ops
                if method in ("get", "post", "put", "patch", "delete")}
    assert expected and shown == expected  # every operation, nothing else
    assert ("POST", "/api/admin/v1/imports/{job_id}/cancel") in shown and ("GET", "/api/admin/v1/exports") in shown
    assert not outside, outside  # nothing from a CDN: it works offline
    assert not [p for p in problems if "Content Security Policy" in p or "Refused" in p], problems

    csp = httpx.get(f"{console.url}{ASSET_PREFIX}/swagger-ui-bundle.js")
    assert csp.status_code == 200 and csp.headers["content-type"].startswith("text/javascript")
    assert httpx.get(f"{console.url}{ASSET_PREFIX}/LICENSE").status_code == 404  # the two assets only


def test_api_page_is_for_operators_only(console: Console, operator_http: httpx.Client) -> None:
    page = operator_http.get("/console/api")
    assert page.status_code == 200 and "script-src 'self'" in page.headers["content-security-policy"]
    assert "<script>" not in page.text and f'src="{ASSET_PREFIX}/swagger-ui-bundle.js"' in page.text
    anonymous = httpx.get(f"{console.url}/console/api", follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/console/login")
