"""Where an export's bytes go: a file that appears only when the export succeeded, or standard
output; optionally encrypted to age recipients on the way (streamed: the plaintext never touches
the disk, and memory stays flat whatever the size).
"""

from __future__ import annotations

import os
import secrets
import sys
import threading
from pathlib import Path
from typing import BinaryIO, Protocol

import pyrage
from pyrage import x25519

__all__ = ["ExportOutput", "open_output", "read_recipients_file"]


class ExportOutput(Protocol):
    def write(self, data: bytes) -> None: ...

    def commit(self) -> None:
        """Everything was written: make the result visible."""
        ...

    def abort(self) -> None:
        """The export failed: leave nothing behind."""
        ...


class _FileOutput:
    """Writes ``<name>.partial-<random>`` next to the target (mode 0600: it may hold password
    hashes), renamed over the target on commit, removed on abort."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.tmp = path.with_name(f".{path.name}.partial-{secrets.token_hex(4)}")
        fd = os.open(self.tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        self.file: BinaryIO = os.fdopen(fd, "wb", buffering=1 << 20)

    def write(self, data: bytes) -> None:
        self.file.write(data)

    def commit(self) -> None:
        self.file.close()
        os.replace(self.tmp, self.path)

    def abort(self) -> None:
        self.file.close()
        self.tmp.unlink(missing_ok=True)


class _StreamOutput:
    def __init__(self, stream: BinaryIO) -> None:
        self.file = stream

    def write(self, data: bytes) -> None:
        self.file.write(data)

    def commit(self) -> None:
        self.file.flush()

    def abort(self) -> None:
        self.file.flush()


class _AgeOutput:
    """Plaintext goes into a pipe; a thread runs age (pyrage) from the pipe into the real output."""

    def __init__(self, inner: _FileOutput | _StreamOutput, recipients: list[x25519.Recipient]) -> None:
        self.inner = inner
        read_fd, write_fd = os.pipe()
        self.pipe = os.fdopen(write_fd, "wb", buffering=1 << 16)
        self.error: BaseException | None = None

        def run() -> None:
            with os.fdopen(read_fd, "rb") as source:
                try:
                    pyrage.encrypt_io(source, inner.file, recipients)
                except BaseException as exc:  # noqa: BLE001 - reported by commit()
                    self.error = exc
                    source.read()  # drain, so the writer never blocks on a dead reader

        self.thread = threading.Thread(target=run, name="authshift-age", daemon=True)
        self.thread.start()

    def write(self, data: bytes) -> None:
        self.pipe.write(data)

    def _finish(self) -> None:
        self.pipe.close()
        self.thread.join()

    def commit(self) -> None:
        self._finish()
        if self.error is not None:
            self.inner.abort()
            raise RuntimeError(f"age encryption failed: {type(self.error).__name__}")
        self.inner.commit()

    def abort(self) -> None:
        self._finish()
        self.inner.abort()


def open_output(path: Path | None, recipients: tuple[str, ...] = ()) -> ExportOutput:
    """A file output (``path``) or standard output (``None``), age-encrypted when recipients are given."""
    inner: _FileOutput | _StreamOutput = _FileOutput(path) if path is not None else _StreamOutput(sys.stdout.buffer)
    if not recipients:
        return inner
    try:
        keys = [x25519.Recipient.from_str(r) for r in recipients]
    except Exception:
        inner.abort()
        raise
    return _AgeOutput(inner, keys)


def read_recipients_file(path: Path) -> list[str]:
    """age's recipients file: one public key per line; blank lines and ``#`` comments ignored."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]
