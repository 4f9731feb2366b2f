"""Run the real ``authshift`` command in a subprocess, as a user would."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import httpx

from tests.support import cli_zygote_client
from tests.support.cli_zygote_client import cli_zygote


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def authshift_env(settings_env: Mapping[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTHSHIFT_")}
    src = str(Path(__file__).resolve().parents[2] / "src")
    env["PYTHONPATH"] = src + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.update(settings_env)
    return env


def run_cli(args: list[str], env: Mapping[str, str], *, input: str | None = None, cwd: Path | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``authshift ARGS`` in its own process: a fork of a process that imported authshift once
    (tests/support/cli_zygote.py), or ``python -m authshift`` when AUTHSHIFT_TESTS_CLI=subprocess."""
    zygote = cli_zygote.socket_path()
    if zygote is None:
        return subprocess.run(
            [sys.executable, "-m", "authshift", *args], env=authshift_env(env), input=input, capture_output=True,
            text=True, cwd=cwd, timeout=timeout,
        )
    return cli_zygote_client.run(zygote, args, authshift_env(env), input=input, cwd=cwd, timeout=timeout)


async def arun_cli(args: list[str], env: Mapping[str, str], *, input: str | None = None, cwd: Path | None = None,
                   timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``run_cli`` for async tests: the command runs in a thread, so this test's event loop (and the
    in-process app's workers on it) keeps running. A blocking call would freeze a worker between its
    BEGIN and COMMIT, and the command would then wait on SQLite's write lock until its busy timeout."""
    return await asyncio.to_thread(run_cli, args, env, input=input, cwd=cwd, timeout=timeout)


class LiveServer:
    """``authshift serve`` on a free port; ``stop`` and ``start`` keep the same port and database."""

    def __init__(self, env: Mapping[str, str], cwd: Path, port: int | None = None) -> None:
        self.port = port or free_port()
        self.env = {"AUTHSHIFT_PORT": str(self.port), **env}
        self.cwd = cwd
        self.proc: subprocess.Popen[bytes] | cli_zygote_client.Child | None = None
        self.log_path = cwd / f"server-{self.port}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 120) -> None:
        zygote = cli_zygote.socket_path()
        with self.log_path.open("ab") as log:
            if zygote is not None:  # a fork of the process that imported authshift once
                self.proc = cli_zygote_client.Child(zygote, ["serve"], authshift_env(self.env), cwd=self.cwd,
                                                    output=log.fileno())
            else:
                self.proc = subprocess.Popen(
                    [sys.executable, "-m", "authshift", "serve"], env=authshift_env(self.env), cwd=self.cwd,
                    stdout=log, stderr=subprocess.STDOUT,
                )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"authshift serve exited early:\n{self.log()}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"authshift serve did not start in {timeout}s:\n{self.log()}")

    def stop(self, *, kill: bool = False) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill() if kill else self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
