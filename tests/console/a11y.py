"""The accessibility check of console pages: axe-core (pinned in tests/console/axe/package-lock.json,
installed by scripts/install-test-deps.sh) run inside the page by Chromium.

axe is added as an init script (``add_init_script``): Playwright injects those through DevTools,
so the console's CSP (``script-src 'self'``) stays on and is not loosened for the test.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

AXE = Path(__file__).parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.1 A and AA plus axe's best practices.
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


async def install_axe(page: Any) -> None:
    """Make ``window.axe`` available on every page this browser context opens from now on."""
    if not AXE.is_file():
        pytest.skip(f"{AXE} is missing: run scripts/install-test-deps.sh (npm ci in tests/console/axe)")
    await page.context.add_init_script(path=str(AXE))


async def assert_accessible(page: Any) -> None:
    """No axe violation on the page as it is now.

    A click that submits a form resolves before the navigation it starts ends; axe run meanwhile
    finds no document (or its context destroyed), so the check waits for the page that loads and
    runs again, once."""
    script = "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})"
    await page.wait_for_load_state("load")
    try:
        result = await page.evaluate(script, TAGS)
    except Exception as exc:  # noqa: BLE001 - playwright's Error, raised mid-navigation
        if "documentElement" not in str(exc) and "context was destroyed" not in str(exc):
            raise
        await page.wait_for_load_state("load")
        result = await page.evaluate(script, TAGS)
    violations = [
        {"id": v["id"], "impact": v["impact"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
    ]
    assert violations == [], f"{page.url}: " + json.dumps(violations, indent=1)
