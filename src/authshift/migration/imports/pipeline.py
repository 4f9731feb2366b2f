"""Reading ahead: batches of prepared records come from a worker while the writer works on the
previous batch.

Preparing a record (JSON decoding, schema validation, hash parsing, normalisation) is pure
Python, so a thread cannot run it in parallel with the writer's own Python work. Files of
``PROCESS_THRESHOLD`` bytes or more are therefore read by a separate process (the second core),
which sends the prepared batches back through a bounded queue (memory stays flat); small files
use a thread, which starts instantly. Real runs also have the worker build and encode the rows
of records that would insert a user (``import_prebuild``), which lightens the writer's core.
"""

from __future__ import annotations

import asyncio
import gc
import multiprocessing
import os
import pickle
import queue as queue_module
from collections.abc import AsyncIterator, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from authshift import passwords
from authshift.migration.formats import SourceFormatError
from authshift.migration.imports.plan import Candidate
from authshift.migration.imports.prebuild import Prebuilder
from authshift.migration.imports.reader_guard import run_reader
from authshift.migration.imports.source import ByteCounter, ImportOptions, read_batches
from authshift.migration.imports.wire import pack, unpack

__all__ = ["PROCESS_THRESHOLD", "ReadRequest", "prefetch_batches"]

PROCESS_THRESHOLD = 16 * 1024 * 1024
_QUEUE_BATCHES = 2


@dataclass(frozen=True)
class ReadRequest:
    path: Path
    options: ImportOptions
    batch_size: int
    limits: passwords.Limits
    hash_configs: Mapping[str, passwords.HashConfig]
    skip_through: int = 0
    # The writer's database driver (``engine.url.drivername``): the reader then builds and encodes
    # the rows of records that would insert a user (``import_prebuild``). None: the writer does.
    prebuild_for: str | None = None
    webauthn_rp_id: str | None = None  # imported passkeys of another RP ID are dropped, with a warning


    def batches(self, counter: list[ByteCounter]) -> Iterator[list[Candidate]]:
        return read_batches(self.path, self.options, batch_size=self.batch_size, limits=self.limits,
                            hash_configs=self.hash_configs, skip_through=self.skip_through, counter=counter,
                            webauthn_rp_id=self.webauthn_rp_id,
                            prebuild=Prebuilder(self.prebuild_for) if self.prebuild_for else None)


class Prefetch:
    """Async iterator of batches; ``position`` is how many bytes of the file were read."""

    def __init__(self, request: ReadRequest, *, use_process: bool | None = None) -> None:
        self.request = request
        size = request.path.stat().st_size if request.path.exists() else 0
        self.use_process = size >= PROCESS_THRESHOLD if use_process is None else use_process
        self.position = 0

    def __aiter__(self) -> AsyncIterator[list[Candidate]]:
        return self._process() if self.use_process else self._thread()

    async def _thread(self) -> AsyncIterator[list[Candidate]]:
        loop = asyncio.get_running_loop()
        counter: list[ByteCounter] = []
        batches = self.request.batches(counter)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="authshift-import-read") as pool:
            pending = loop.run_in_executor(pool, next, batches, None)
            try:
                while True:
                    batch = await pending
                    if batch is None:
                        return
                    self.position = counter[0].position if counter else 0
                    pending = loop.run_in_executor(pool, next, batches, None)
                    yield batch
            finally:
                if not pending.done():
                    pending.cancel()
                try:
                    await pending
                except BaseException:  # noqa: BLE001 - the reader's error no longer matters here
                    pass
                batches.close()

    async def _process(self) -> AsyncIterator[list[Candidate]]:
        loop = asyncio.get_running_loop()
        ctx = multiprocessing.get_context("spawn")
        channel: Any = ctx.Queue(maxsize=_QUEUE_BATCHES)
        request = pickle.dumps(self.request, protocol=pickle.HIGHEST_PROTOCOL)
        worker = ctx.Process(target=run_reader, args=(channel, request, os.getpid()), name="authshift-import-read",
                             daemon=True)
        worker.start()

        def receive() -> tuple[str, Any, int]:
            while True:
                try:
                    kind, payload, position = channel.get(timeout=0.5)
                    return kind, unpack(payload) if kind == "batch" else payload, position
                except queue_module.Empty:
                    if not worker.is_alive():
                        raise RuntimeError(f"the import reader process stopped unexpectedly (exit code {worker.exitcode})") from None

        try:
            while True:
                kind, payload, position = await loop.run_in_executor(None, receive)
                self.position = position
                if kind == "end":
                    return
                if kind == "error":
                    raise payload
                yield payload
        finally:
            if worker.is_alive():
                worker.terminate()
            await loop.run_in_executor(None, worker.join, 10)
            channel.cancel_join_thread()
            channel.close()


def prefetch_batches(request: ReadRequest, *, use_process: bool | None = None) -> Prefetch:
    return Prefetch(request, use_process=use_process)


def _send(channel: Any, item: tuple[str, Any, int]) -> None:
    parent = multiprocessing.parent_process()
    while True:
        try:
            channel.put(item, timeout=1)
            return
        except queue_module.Full:
            if parent is not None and not parent.is_alive():
                # The importer is gone (killed): stop at once, without flushing a queue nobody reads.
                os._exit(1)


def _produce(channel: Any, request: ReadRequest) -> None:
    """Worker process (started by ``reader_guard.run_reader``): read and prepare every batch,
    send it; then "end" (or "error")."""
    gc.freeze()  # see bulk_import._few_collections: records form no cycles
    gc.set_threshold(100_000, 50, 100)
    counter: list[ByteCounter] = []

    def position() -> int:
        return counter[0].position if counter else 0

    try:
        for batch in request.batches(counter):
            _send(channel, ("batch", pack(batch), position()))
        _send(channel, ("end", None, position()))
    except (SourceFormatError, OSError, passwords.PasswordFormatError) as exc:
        _send(channel, ("error", exc, position()))
    except BaseException as exc:  # noqa: BLE001 - reported to the importer without its message (may hold data)
        _send(channel, ("error", RuntimeError(f"the import reader failed: {type(exc).__name__}"), position()))
