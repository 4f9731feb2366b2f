"""Uploaded import files hold password hashes: none is left on disk when the server dies
mid-upload or when a job is cancelled, whatever the moment (issue #14)."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from authshift.app import create_app
from authshift.config import Settings
from authshift.security.admin_keys import create_admin_key
from tests.imports.helpers import BCRYPT
from tests.support.servers import LiveServer, run_cli

IMPORTS = "/api/admin/v1/imports"


def files_under(directory: Path) -> list[Path]:
    return [p for p in directory.rglob("*") if p.is_file()] if directory.exists() else []


def test_an_upload_cut_by_kill_9_is_removed_when_the_server_starts_again(
    live_server: LiveServer, settings_env: dict[str, str], tmp_path: Path
) -> None:
    key = json.loads(run_cli(["admin-keys", "create"], settings_env).stdout)["key"]
    uploads = tmp_path / "imports-data"
    release = threading.Event()

    def body() -> Iterator[bytes]:
        line = (json.dumps({"email": "someone@x.com", "password": {"hash": BCRYPT}}) + "\n").encode()
        yield line * 2000  # a first part reaches the disk...
        release.wait(60)  # ...and the rest never comes: the server dies first

    def upload() -> None:
        try:
            httpx.post(f"{live_server.url}{IMPORTS}?filename=u.ndjson", content=body(),
                       headers={"Authorization": f"Bearer {key}", "Content-Type": "application/x-ndjson"}, timeout=60)
        except httpx.HTTPError:
            pass

    sender = threading.Thread(target=upload, daemon=True)
    sender.start()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not any(p.stat().st_size for p in files_under(uploads)):
            time.sleep(0.05)
        assert any("password" in p.read_text(errors="replace") for p in files_under(uploads)), "the upload started"
        live_server.stop(kill=True)  # kill -9, mid-upload
        assert files_under(uploads), "a partial upload is left on disk by a killed server"
        live_server.start()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and files_under(uploads):
            time.sleep(0.1)
        assert files_under(uploads) == []
    finally:
        release.set()
        sender.join(10)


async def test_cancelled_jobs_leave_no_upload_whenever_they_are_cancelled(settings: Settings, tmp_path: Path) -> None:
    """Cancelled before the runner sees it, between its claim and its run, mid-run: no file stays."""
    fast = settings.model_copy(update={"imports": settings.imports.model_copy(
        update={"poll_seconds": 0.01, "batch_size": 50})})
    body = "".join(json.dumps({"email": f"u{n}@x.com"}) + "\n" for n in range(1500))
    uploads = tmp_path / "imports-data"
    application = create_app(fast)
    async with application.router.lifespan_context(application):
        state = application.state.authshift
        async with state.engine.begin() as conn:
            key = await create_admin_key(conn, "t")
        headers = {"Authorization": f"Bearer {key.plaintext}"}
        transport = httpx.ASGITransport(app=application)
        states: list[str] = []
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
            for delay in (0, 0, 0.001, 0.003, 0.005, 0.01, 0.02, 0.04, 0.08, 0.15, 0.3, 0.6):
                resp = await http.post(IMPORTS, headers=headers, files={"file": ("u.ndjson", body)})
                assert resp.status_code == 202, resp.text
                await asyncio.sleep(delay)
                cancel = await http.post(f"{IMPORTS}/{resp.json()['id']}/cancel", headers=headers)
                assert cancel.status_code in (200, 409), cancel.text
                job: dict[str, Any] = (await http.get(f"{IMPORTS}/{resp.json()['id']}", headers=headers)).json()
                states.append(job["state"])
        assert "cancelled" in states
        for _ in range(200):  # the runner stops after the batch in progress
            if not files_under(uploads):
                break
            await asyncio.sleep(0.05)
        assert files_under(uploads) == [], states
