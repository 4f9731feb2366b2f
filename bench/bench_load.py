"""Benchmark: the token endpoint under load, at 1, 8, 32 and 128 concurrent clients, loopback only.

Setup (not timed): a fresh SQLite instance in a temporary folder, a confidential client allowed
the client_credentials grant, ``authshift serve`` in a child process.

Timed, at each client count, ``--requests`` token requests (``grant_type=client_credentials``,
HTTP basic client authentication) spread over that many concurrent clients (asyncio, one
keep-alive connection each, opened before the clock starts), against:

- authshift with ``max_queue_depth = 0`` (no shedding: every request waits its turn);
- authshift with ``max_queue_depth`` = ``--depth`` (default 64, the default setting): past it,
  requests are answered 503 + Retry-After at once;
- the floor: uvicorn serving a bare ASGI app that answers the same POST with a fixed token
  response. That is what HTTP on this machine costs before any work is done; it is measured in
  the same run, so figures can be read against it.

Printed per row: requests/s (answered, whatever the status), p50 and p99 latency of the served
(200) requests, how many were shed (503) and how fast those answers came (p99). A shed client
waits the ``Retry-After`` it was given before its next request, as a well-behaved client does.
Bounded: a fixed number of requests per row.

Usage:
    PYTHONPATH=src python bench/bench_load.py [--requests 1000] [--depth 64]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
CLIENTS = (1, 8, 32, 128)
RETRY_AFTER = 1.0  # what authshift's 503 says (http/overload.py RETRY_AFTER_SECONDS)
FLOOR_APP = '''
import json
BODY = json.dumps({"access_token": "x" * 600, "token_type": "Bearer", "expires_in": 600}).encode()
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())]})
    await send({"type": "http.response.body", "body": BODY})
'''


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited early: {url}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit(f"server did not start: {url}")


def _env(home: Path, depth: int, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTHSHIFT_")}
    env.update({
        "PYTHONPATH": str(ROOT / "src"), "AUTHSHIFT_DATABASE_URL": f"sqlite:///{home}/authshift.db",
        "AUTHSHIFT_SECRET_KEY": base64.urlsafe_b64encode(b"s" * 32).decode(),
        "AUTHSHIFT_ENCRYPTION_KEY": base64.urlsafe_b64encode(b"e" * 32).decode(),
        "AUTHSHIFT_SECRETS_FILE": str(home / "secrets.json"), "AUTHSHIFT_LOG_LEVEL": "warning",
        "AUTHSHIFT_MAX_QUEUE_DEPTH": str(depth), "AUTHSHIFT_PORT": str(port),
        # the benchmark's one client makes hundreds of requests a second by design
        "AUTHSHIFT_THROTTLE__ENABLED": "false",
    })
    return env


class _Connection:
    """One keep-alive HTTP/1.1 connection speaking just enough HTTP for this benchmark.

    A light client on purpose: the benchmark shares the two cores with the server, and a
    general-purpose client (httpx: an SSL context and a connection pool per client) spent more
    CPU per request than the bare floor server, so the floor collapsed at 128 clients and every
    ratio measured the client. Connections are opened before the clock starts.
    """

    def __init__(self, url: str, auth: tuple[str, str]) -> None:
        parsed = httpx.URL(url)
        self.host, self.port = parsed.host, parsed.port or 80
        body = b"grant_type=client_credentials"
        basic = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        self.request = (
            f"POST {parsed.raw_path.decode()} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Authorization: Basic {basic}\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode() + body
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def post(self) -> int:
        if self.writer is None or self.reader is None or self.writer.is_closing():
            await self.open()
        assert self.reader is not None and self.writer is not None
        self.writer.write(self.request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length, close = 0, False
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
            elif name.strip().lower() == b"connection" and value.strip().lower() == b"close":
                close = True
        await self.reader.readexactly(length)
        if close:
            self.writer.close()
        return status

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def _load(url: str, auth: tuple[str, str], clients: int, requests: int) -> dict[str, Any]:
    remaining = requests
    served: list[float] = []
    refused: list[float] = []
    statuses: dict[int, int] = {}
    connections = [_Connection(url, auth) for _ in range(clients)]
    for connection in connections:  # not timed: connecting is not what is measured
        await connection.open()

    async def worker(connection: _Connection) -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            started = time.perf_counter()
            status = await connection.post()
            elapsed = time.perf_counter() - started
            statuses[status] = statuses.get(status, 0) + 1
            if status == 200:
                served.append(elapsed)
            elif status == 503:  # a well-behaved client comes back when Retry-After says
                refused.append(elapsed)
                await asyncio.sleep(RETRY_AFTER)

    started = time.perf_counter()
    await asyncio.gather(*(worker(c) for c in connections))
    wall = time.perf_counter() - started
    for connection in connections:
        connection.close()
    served.sort()
    refused.sort()

    def pct(values: list[float], q: float) -> float:
        return values[min(len(values) - 1, int(q * len(values)))] * 1000 if values else float("nan")

    return {"rps": sum(statuses.values()) / wall, "p50": pct(served, 0.50), "p99": pct(served, 0.99),
            "shed": statuses.get(503, 0), "shed_p99": pct(refused, 0.99), "other": {s: n for s, n in statuses.items() if s not in (200, 503)}}


def _serve(cmd: list[str], env: dict[str, str], health: str, home: Path) -> subprocess.Popen[bytes]:
    log = (home / f"server-{len(list(home.iterdir()))}.log").open("wb")
    proc = subprocess.Popen(cmd, env=env, cwd=home, stdout=log, stderr=subprocess.STDOUT)
    _wait(health, proc)
    return proc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--depth", type=int, default=64)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f}, {os.cpu_count()} CPUs, {args.requests} requests per row")
    rows: list[tuple[str, int, dict[str, Any]]] = []
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        port = _port()
        floor_env = {**os.environ, "PYTHONPATH": str(home)}
        (home / "floor_app.py").write_text(FLOOR_APP)
        floor = _serve([sys.executable, "-m", "uvicorn", "floor_app:app", "--port", str(port), "--log-level", "warning"],
                       floor_env, f"http://127.0.0.1:{port}/", home)
        try:
            for clients in CLIENTS:
                rows.append(("floor (bare uvicorn)", clients, asyncio.run(
                    _load(f"http://127.0.0.1:{port}/token", ("a", "b"), clients, args.requests))))
        finally:
            floor.terminate()
            floor.wait()
        for depth in (0, args.depth):
            port = _port()
            env = _env(home, depth, port)
            proc = _serve([sys.executable, "-m", "authshift", "serve"], env, f"http://127.0.0.1:{port}/healthz", home)
            try:
                made = subprocess.run([sys.executable, "-m", "authshift", "clients", "create", "--name", "bench",
                                       "--grant-type", "client_credentials"], env=env, cwd=home,
                                      capture_output=True, text=True, check=True)
                client = json.loads(made.stdout)
                token_url = httpx.get(f"http://127.0.0.1:{port}/.well-known/openid-configuration").json()["token_endpoint"]
                auth = (client["client_id"], client["client_secret"])
                for clients in CLIENTS:
                    rows.append((f"authshift, max_queue_depth = {depth}", clients,
                                 asyncio.run(_load(token_url, auth, clients, args.requests))))
            finally:
                proc.terminate()
                proc.wait()
    print("\n| server | clients | requests/s | p50 ms (200s) | p99 ms (200s) | shed (503) | p99 ms (503s) |")
    print("|---|---|---|---|---|---|---|")
    for name, clients, r in rows:
        other = f" (other: {r['other']})" if r["other"] else ""
        shed_p99 = "" if r["shed_p99"] != r["shed_p99"] else f"{r['shed_p99']:,.0f}"
        print(f"| {name} | {clients} | {r['rps']:,.0f} | {r['p50']:,.0f} | {r['p99']:,.0f} | {r['shed']}{other} | {shed_p99} |")
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
