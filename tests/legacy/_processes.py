"""Start and really stop the servers the legacy fixtures run (one OS process each)."""

from __future__ import annotations

import atexit
import os
import socket
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Self

import httpx


class LegacyServerError(RuntimeError):
    """A legacy test server did not come up; the message carries the tail of its log."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServerProcess:
    """One server process: started with a command, ready when ``health_url`` answers 200."""

    def __init__(self, name: str, log_path: Path) -> None:
        self.name = name
        self.log_path = log_path
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self.running and self._process else None

    def start(
        self,
        command: Sequence[str],
        *,
        cwd: Path,
        env: Mapping[str, str],
        health_url: str,
        timeout: float = 30.0,
    ) -> None:
        if self.running:
            raise LegacyServerError(f"{self.name} is already running")
        with self.log_path.open("ab") as log:
            log.write(f"--- starting {self.name}: {' '.join(command)}\n".encode())
            self._process = subprocess.Popen(
                list(command),
                cwd=cwd,
                env={**os.environ, **env},
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        atexit.register(self.stop)
        deadline = time.monotonic() + timeout
        while True:
            if self._process.poll() is not None:
                code = self._process.returncode
                self._process = None
                raise LegacyServerError(f"{self.name} exited with {code} while starting:\n{self.log_tail()}")
            try:
                if httpx.get(health_url, timeout=1.0).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise LegacyServerError(f"{self.name} not ready after {timeout}s:\n{self.log_tail()}")
            time.sleep(0.05)

    def stop(self) -> None:
        """Terminate the process and wait until it is gone (killed after 5 s), so its port is free."""
        process, self._process = self._process, None
        if process is None:
            return
        atexit.unregister(self.stop)
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log)"


class LegacyServer:
    """What both legacy systems share: a ServerProcess in ``_server``, started by ``start()``.

    Subclasses implement ``start()`` (returning self once the server answers).
    """

    _server: ServerProcess

    def start(self) -> Self:
        raise NotImplementedError

    @property
    def running(self) -> bool:
        return self._server.running

    def stop(self) -> None:
        """A real outage: the process is gone and its port refuses connections."""
        self._server.stop()

    def restart(self) -> None:
        self.stop()
        self.start()

    def ensure_running(self) -> Self:
        return self if self.running else self.start()

    def log(self) -> str:
        return self._server.log_tail(200)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
