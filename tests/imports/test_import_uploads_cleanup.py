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

from authshift.config import Settings
from tests.imports.helpers import BCRYPT, admin_api
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
    states: list[str] = []
    async with admin_api(fast) as (_, http, headers):
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


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_the_reader_process_ends_with_a_killed_import(settings_env: dict[str, str], tmp_path: Path) -> None:
    """``kill -9`` of ``authshift import``: its reader process (which holds the file of password
    hashes open) is gone within a second, not seconds later."""
    import os
    import signal
    import subprocess
    import sys

    from tests.support.servers import authshift_env

    path = tmp_path / "u.ndjson"
    path.write_text("".join(json.dumps({"email": f"u{n}@x.com", "password": {"hash": BCRYPT}}) + "\n"
                            for n in range(60_000)))
    env = {**settings_env, "AUTHSHIFT_IMPORTS__BATCH_SIZE": "200", "AUTHSHIFT_IMPORTS__READER_PROCESS_MIN_BYTES": "0"}
    assert run_cli(["db", "upgrade"], settings_env).returncode == 0
    proc = subprocess.Popen([sys.executable, "-m", "authshift", "import", str(path)], env=authshift_env(env),
                            cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        readers: list[int] = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not readers and proc.poll() is None:
            readers = [pid for pid in children_of(proc.pid) if b"multiprocessing" in Path(f"/proc/{pid}/cmdline").read_bytes()
                       and b"resource_tracker" not in Path(f"/proc/{pid}/cmdline").read_bytes()]
            time.sleep(0.05)
        assert readers and proc.poll() is None, "the import runs with its reader process"
        time.sleep(0.5)  # the reader is reading
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        killed = time.monotonic()
        while time.monotonic() - killed < 10 and any(alive(pid) for pid in readers):
            time.sleep(0.02)
        assert not any(alive(pid) for pid in readers)
        assert time.monotonic() - killed < 1.0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
