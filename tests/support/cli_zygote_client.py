"""The test side of tests/support/cli_zygote.py: start it once per test process, run commands."""

from __future__ import annotations

import atexit
import json
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import IO

ZYGOTE = Path(__file__).with_name("cli_zygote.py")


class _Zygote:
    def __init__(self) -> None:
        self.path: str | None = None
        self.proc: subprocess.Popen[bytes] | None = None
        self.failed = False

    def socket_path(self) -> str | None:
        """The running zygote's socket, started on first use; None: run plain subprocesses."""
        if os.environ.get("AUTHSHIFT_TESTS_CLI") == "subprocess" or self.failed:
            return None
        if self.proc is not None and self.proc.poll() is None:
            return self.path
        from tests.support.servers import authshift_env

        self.path = os.path.join(tempfile.mkdtemp(prefix="authshift-cli-"), "cli.sock")
        self.proc = subprocess.Popen([sys.executable, str(ZYGOTE), self.path], env=authshift_env({}),
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], 180)
        if not ready or self.proc.stdout.readline() != b"ready\n":
            self.proc.kill()
            self.failed = True
            return None
        atexit.register(self.stop)
        return self.path

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


cli_zygote = _Zygote()


def _text(handle: IO[bytes]) -> str:
    handle.seek(0)
    return handle.read().decode("utf-8", errors="replace").replace("\r\n", "\n").replace("\r", "\n")


def run(path: str, args: list[str], env: dict[str, str], *, input: str | None, cwd: Path | None,
        timeout: float) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "authshift", *args]
    request = json.dumps({"args": args, "env": env, "cwd": str(cwd or os.getcwd())}).encode()
    with tempfile.TemporaryFile() as stdin, tempfile.TemporaryFile() as stdout, tempfile.TemporaryFile() as stderr, \
            socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as conn:
        stdin.write((input or "").encode())
        stdin.seek(0)
        conn.connect(path)
        conn.settimeout(timeout)
        socket.send_fds(conn, [request], [stdin.fileno(), stdout.fileno(), stderr.fileno()])
        pid = 0
        try:
            pid = int(conn.recv(64).decode().split()[1])
            reply = conn.recv(64).decode().split()
        except TimeoutError:
            if pid:
                os.kill(pid, signal.SIGKILL)
            raise subprocess.TimeoutExpired(command, timeout, _text(stdout), _text(stderr)) from None
        code = int(reply[1])
        return subprocess.CompletedProcess(command, code, _text(stdout), _text(stderr))


class Child:
    """A long-running command (``serve``) forked by the zygote: ``poll``, ``terminate``, ``kill``,
    ``wait`` as on a ``subprocess.Popen``."""

    def __init__(self, path: str, args: list[str], env: dict[str, str], *, cwd: Path, output: int) -> None:
        request = json.dumps({"args": args, "env": env, "cwd": str(cwd)}).encode()
        self.conn = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.conn.connect(path)
        with open(os.devnull, "rb") as devnull:
            socket.send_fds(self.conn, [request], [devnull.fileno(), output, output])
        self.pid = int(self.conn.recv(64).decode().split()[1])
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            ready, _, _ = select.select([self.conn], [], [], 0)
            if ready:
                reply = self.conn.recv(64).decode().split()
                self.returncode = int(reply[1]) if len(reply) == 2 else -1
                self.conn.close()
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            ready, _, _ = select.select([self.conn], [], [], timeout)
            if not ready:
                raise subprocess.TimeoutExpired(["authshift"], timeout or 0)
            self.poll()
        assert self.returncode is not None
        return self.returncode

    def _signal(self, sig: int) -> None:
        if self.poll() is None:
            try:
                os.kill(self.pid, sig)
            except ProcessLookupError:
                pass

    def terminate(self) -> None:
        self._signal(signal.SIGTERM)

    def kill(self) -> None:
        self._signal(signal.SIGKILL)
