"""Receiving large uploads: the request body (raw, or the file parts of a multipart form) is
streamed to files in a directory, never held in memory, with its SHA-256 and size computed on
the way. Form fields (small values) are collected as text.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from python_multipart.multipart import MultipartParser, parse_options_header

from authshift.errors import AuthshiftError, InvalidInput

__all__ = ["ReceivedFile", "Upload", "UploadTooLarge", "receive_multipart", "receive_raw"]

MAX_FIELD_BYTES = 64 * 1024
MAX_PARTS = 16


class UploadTooLarge(AuthshiftError):
    status = 413
    title = "Upload too large"
    type_slug = "upload-too-large"


@dataclass
class ReceivedFile:
    path: Path
    filename: str
    size: int = 0
    sha256: str = ""


@dataclass
class Upload:
    fields: dict[str, str] = field(default_factory=dict)
    files: dict[str, ReceivedFile] = field(default_factory=dict)


class _Sink:
    """One file being written: bytes are hashed, counted and flushed off the event loop."""

    def __init__(self, path: Path, filename: str, limit: int) -> None:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        self.fh: BinaryIO = os.fdopen(fd, "wb")
        self.file = ReceivedFile(path, filename)
        self.digest = hashlib.sha256()
        self.pending: list[bytes] = []
        self.limit = limit

    def add(self, data: bytes) -> None:
        self.file.size += len(data)
        if self.file.size > self.limit:
            raise UploadTooLarge(f"the upload is larger than the limit of {self.limit} bytes (imports.max_upload_bytes)")
        self.digest.update(data)
        self.pending.append(data)

    async def flush(self) -> None:
        if self.pending:
            data, self.pending = b"".join(self.pending), []
            await asyncio.to_thread(self.fh.write, data)

    def close(self) -> ReceivedFile:
        if self.pending:
            self.fh.write(b"".join(self.pending))
            self.pending = []
        self.fh.close()
        self.file.sha256 = self.digest.hexdigest()
        return self.file


async def receive_raw(chunks: AsyncIterator[bytes], directory: Path, *, filename: str, limit: int) -> ReceivedFile:
    """The whole body as one file ``directory/upload``."""
    sink = _Sink(directory / "upload", filename, limit)
    try:
        async for chunk in chunks:
            sink.add(chunk)
            await sink.flush()
    finally:
        received = sink.close()
    return received


def _safe_name(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in name)[:100] or "upload"


async def receive_multipart(
    chunks: AsyncIterator[bytes], content_type: str, directory: Path, *, file_fields: set[str], limit: int
) -> Upload:
    """Stream a multipart/form-data body: the parts named in ``file_fields`` go to files
    (``directory/<field name>``), the others are small text fields."""
    _, params = parse_options_header(content_type)
    boundary = params.get(b"boundary")
    if not boundary:
        raise InvalidInput("the multipart body has no boundary")
    upload = Upload()
    state: dict[str, Any] = {"headers": {}, "name": None, "filename": None, "sink": None, "value": None, "parts": 0}
    header: dict[str, bytes] = {"field": b"", "value": b""}
    errors: list[Exception] = []

    def on_part_begin() -> None:
        state.update(headers={}, name=None, filename=None, sink=None, value=None)
        state["parts"] += 1
        if state["parts"] > MAX_PARTS:
            raise InvalidInput(f"the form has more than {MAX_PARTS} parts")

    def on_header_field(data: bytes, start: int, end: int) -> None:
        header["field"] += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        header["value"] += data[start:end]

    def on_header_end() -> None:
        state["headers"][header["field"].decode("latin-1").lower()] = header["value"]
        header["field"], header["value"] = b"", b""

    def on_headers_finished() -> None:
        disposition, options = parse_options_header(state["headers"].get("content-disposition", b""))
        name = options.get(b"name", b"").decode("utf-8", "replace")
        if disposition != b"form-data" or not name:
            raise InvalidInput("every part of the form needs a Content-Disposition: form-data; name=...")
        if name in upload.fields or name in upload.files:
            raise InvalidInput(f"the form field {name!r} is given twice")
        state["name"] = name
        if name in file_fields:
            filename = options.get(b"filename", b"").decode("utf-8", "replace")
            state["sink"] = _Sink(directory / _safe_name(name), filename or name, limit)
        else:
            state["value"] = bytearray()

    def on_part_data(data: bytes, start: int, end: int) -> None:
        if state["sink"] is not None:
            state["sink"].add(data[start:end])
        else:
            state["value"] += data[start:end]
            if len(state["value"]) > MAX_FIELD_BYTES:
                raise InvalidInput(f"the form field {state['name']!r} is too long")

    def on_part_end() -> None:
        if state["sink"] is not None:
            upload.files[state["name"]] = state["sink"].close()
        else:
            try:
                upload.fields[state["name"]] = state["value"].decode("utf-8")
            except UnicodeDecodeError:
                raise InvalidInput(f"the form field {state['name']!r} is not UTF-8 text") from None

    parser = MultipartParser(boundary, {  # type: ignore[arg-type]
        "on_part_begin": on_part_begin, "on_part_data": on_part_data, "on_part_end": on_part_end,
        "on_header_field": on_header_field, "on_header_value": on_header_value, "on_header_end": on_header_end,
        "on_headers_finished": on_headers_finished,
    })
    try:
        async for chunk in chunks:
            parser.write(chunk)
            if state["sink"] is not None:
                await state["sink"].flush()
        parser.finalize()
    except AuthshiftError:
        raise
    except Exception as exc:  # noqa: BLE001 - python-multipart raises its own error types
        errors.append(exc)
    finally:
        if state["sink"] is not None and not state["sink"].fh.closed:
            state["sink"].fh.close()
    if errors:
        raise InvalidInput(f"the multipart body cannot be read: {type(errors[0]).__name__}")
    return upload
