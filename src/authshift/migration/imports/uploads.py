"""Uploaded import files never outlive their job: they hold password hashes.

An upload is received into ``<uploads dir>/<job id>/`` before its job row exists; the job's
runner deletes the directory when the job is over (``import_runner.discard_upload``). Two ways
left files behind: the server died mid-upload (a directory without a job), and a job cancelled
between its claim and its run (the runner gave it up without deleting). ``sweep_uploads`` deletes
every such orphan: at start-up and every retention round (``retention``), and after a job is lost.

A directory being received carries a ``.receiving`` marker naming the receiving process
(``host:pid``). A directory without a job row is an orphan when that process is gone (a
restarted server finds its own dead upload at once), or, when the receiver cannot be checked
(another host sharing the directory), when nothing was written to it for ``STALE_SECONDS``.
"""

from __future__ import annotations

import os
import shutil
import socket
import time
import uuid
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from authshift.jobs.lease import local_pid, pid_ended
from authshift.migration.imports.tables import import_jobs
from authshift.storage.bulk import in_values

__all__ = ["STALE_SECONDS", "receiving", "sweep_uploads"]

STALE_SECONDS = 3600.0
RECEIVING = ".receiving"
_UNFINISHED = ("queued", "running")
_HERE: set[str] = set()  # directories this process is receiving right now


class receiving:  # noqa: N801 - used as a context manager, like open()
    """``with receiving(directory):`` marks an upload in progress (the directory exists)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def __enter__(self) -> None:
        _HERE.add(str(self.directory))
        (self.directory / RECEIVING).write_text(f"{socket.gethostname()}:{os.getpid()}")

    def __exit__(self, *exc: object) -> None:
        _HERE.discard(str(self.directory))


def _receiver_gone(directory: Path) -> bool | None:
    """True/False when the receiving process is known dead/alive; None when it cannot be told."""
    if str(directory) in _HERE:
        return False
    try:
        host, _, pid_text = (directory / RECEIVING).read_text().partition(":")
    except OSError:
        return None
    pid = local_pid(host, pid_text)
    if pid is None:
        return None
    if pid == os.getpid():
        return True  # this process is not receiving it (``_HERE``): its receiver was an earlier one
    return pid_ended(pid)


def _last_write(directory: Path) -> float:
    times = [directory.stat().st_mtime]
    for entry in directory.iterdir():
        try:
            times.append(entry.stat().st_mtime)
        except OSError:
            pass
    return max(times)


def _job_ids(directory: Path) -> dict[uuid.UUID, Path]:
    found: dict[uuid.UUID, Path] = {}
    if not directory.is_dir():
        return found
    for entry in directory.iterdir():
        try:
            job_id = uuid.UUID(entry.name)
        except ValueError:
            continue  # not ours
        if entry.is_dir() and str(entry) not in _HERE:
            found[job_id] = entry
    return found


async def sweep_uploads(engine: AsyncEngine, directory: Path, *, keep_finished: bool = False) -> int:
    """Delete the upload directories of finished jobs and of uploads nobody is receiving any more;
    returns how many were deleted. ``keep_finished`` (``[imports] keep_uploads``) keeps those
    of finished jobs; orphans without a job are deleted anyway (no job refers to them)."""
    candidates = _job_ids(directory)
    if not candidates:
        return 0
    async with engine.connect() as conn:
        rows = await conn.execute(sa.select(import_jobs.c.id, import_jobs.c.state).where(
            in_values(conn.dialect, import_jobs.c.id, list(candidates))))
        states = {job_id: state for job_id, state in rows.all()}
    deleted = 0
    now = time.time()
    for job_id, path in candidates.items():
        state = states.get(job_id)
        if state in _UNFINISHED or (state is not None and keep_finished):
            continue
        if state is None:
            gone = _receiver_gone(path)
            try:
                if gone is False or (gone is None and now - _last_write(path) < STALE_SECONDS):
                    continue
            except OSError:
                continue
        shutil.rmtree(path, ignore_errors=True)
        deleted += 1
    return deleted
