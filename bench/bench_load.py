"""Benchmark: the token endpoint under load, at 1, 8, 32 and 128 concurrent clients, loopback only.

Setup (not timed): a fresh SQLite instance in a temporary folder, a confidential client allowed
the client_credentials grant, ``authshift serve`` in a child process.

Timed, at each client count, ``--requests`` token requests (``grant_type=client_credentials``,
HTTP basic client authentication) spread over that many concurrent clients (asyncio + httpx, one
connection each), against:

- authshift with ``max_queue_depth = 0`` (no shedding: every request waits its turn);
- authshift with ``max_queue_depth`` = ``--depth`` (default 64, the default setting): past it,
  requests are answered 503 + Retry-After at once;
- the floor: uvicorn serving a bare ASGI app that answers the same POST with a fixed token
  response. That is what HTTP on this machine costs before any work is done; it is measured in
  the same run, so figures can be read against it.

Printed per row: requests/s (answered, whatever the status), p50 and p99 latency of the served
(200) requests, and how many were shed (503). Bounded: a fixed number of requests per row.

Usage:
    PYTHONPATH=src python bench/bench_load.py [--requests 400] [--depth 64]
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


async def _load(url: str, auth: tuple[str, str], clients: int, requests: int) -> dict[str, Any]:
    remaining = requests
    served: list[float] = []
    statuses: dict[int, int] = {}

    async def worker() -> None:
        nonlocal remaining
        async with httpx.AsyncClient(auth=auth, timeout=120, limits=httpx.Limits(max_connections=1)) as http:
            while remaining > 0:
                remaining -= 1
                started = time.perf_counter()
                response = await http.post(url, data={"grant_type": "client_credentials"})
                elapsed = time.perf_counter() - started
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                if response.status_code == 200:
                    served.append(elapsed)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(clients)))
    wall = time.perf_counter() - started
    served.sort()

    def pct(q: float) -> float:
        return served[min(len(served) - 1, int(q * len(served)))] * 1000 if served else float("nan")

    return {"rps": sum(statuses.values()) / wall, "p50": pct(0.50), "p99": pct(0.99),
            "shed": statuses.get(503, 0), "other": {s: n for s, n in statuses.items() if s not in (200, 503)}}


def _serve(cmd: list[str], env: dict[str, str], health: str, home: Path) -> subprocess.Popen[bytes]:
    log = (home / f"server-{len(list(home.iterdir()))}.log").open("wb")
    proc = subprocess.Popen(cmd, env=env, cwd=home, stdout=log, stderr=subprocess.STDOUT)
    _wait(health, proc)
    return proc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=400)
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
    print("\n| server | clients | requests/s | p50 ms (200s) | p99 ms (200s) | shed (503) |")
    print("|---|---|---|---|---|---|")
    for name, clients, r in rows:
        other = f" (other: {r['other']})" if r["other"] else ""
        print(f"| {name} | {clients} | {r['rps']:,.0f} | {r['p50']:,.0f} | {r['p99']:,.0f} | {r['shed']}{other} |")
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
