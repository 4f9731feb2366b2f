"""Under overload the server answers 503 with Retry-After at once, past ``max_queue_depth``
requests in progress, instead of making every request wait (a real server, a bounded burst)."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from tests.support.servers import LiveServer, run_cli

BURST = 48


def _token_request(url: str, client_id: str, secret: str) -> tuple[int, str | None, float]:
    started = time.monotonic()
    response = httpx.post(url, data={"grant_type": "client_credentials"}, auth=(client_id, secret), timeout=60)
    return response.status_code, response.headers.get("retry-after"), time.monotonic() - started


def test_a_burst_past_the_queue_depth_gets_quick_503s_and_nobody_waits_forever(
    settings_env: dict[str, str], tmp_path: Path
) -> None:
    env = {**settings_env, "AUTHSHIFT_MAX_QUEUE_DEPTH": "2", "AUTHSHIFT_LOG_LEVEL": "warning"}
    made = run_cli(["clients", "create", "--name", "load", "--grant-type", "client_credentials"], env)
    assert made.returncode == 0, made.stderr
    client = json.loads(made.stdout)
    server = LiveServer(env, tmp_path)
    server.start()
    try:
        token_url = httpx.get(server.url + "/.well-known/openid-configuration").json()["token_endpoint"]
        assert _token_request(token_url, client["client_id"], client["client_secret"])[0] == 200
        with ThreadPoolExecutor(max_workers=BURST) as pool:
            results = list(pool.map(lambda _: _token_request(token_url, client["client_id"], client["client_secret"]),
                                    range(BURST)))
        assert httpx.get(server.url + "/healthz").status_code == 200
    finally:
        server.stop()
    statuses = sorted({status for status, _, _ in results})
    assert statuses == [200, 503], statuses  # some served, some shed; nothing else, no request lost
    shed = [(retry, seconds) for status, retry, seconds in results if status == 503]
    served = sorted(seconds for status, _, seconds in results if status == 200)
    assert all(retry == "1" for retry, _ in shed)
    # Refused at the door, not after the work in progress: no 503 takes longer than the slowest
    # served request (plus slack: the CPUs are shared). Speed figures are in bench/bench_load.py.
    assert max(seconds for _, seconds in shed) <= served[-1] + 5.0


def test_max_queue_depth_zero_turns_shedding_off(settings_env: dict[str, str], tmp_path: Path) -> None:
    env = {**settings_env, "AUTHSHIFT_MAX_QUEUE_DEPTH": "0", "AUTHSHIFT_LOG_LEVEL": "warning"}
    made = run_cli(["clients", "create", "--name", "load", "--grant-type", "client_credentials"], env)
    client = json.loads(made.stdout)
    server = LiveServer(env, tmp_path)
    server.start()
    try:
        token_url = httpx.get(server.url + "/.well-known/openid-configuration").json()["token_endpoint"]
        with ThreadPoolExecutor(max_workers=16) as pool:
            results = list(pool.map(lambda _: _token_request(token_url, client["client_id"], client["client_secret"]),
                                    range(16)))
    finally:
        server.stop()
    assert {status for status, _, _ in results} == {200}
