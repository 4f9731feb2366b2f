"""Start-up time of the ``authshift`` commands that need neither the web app nor the database.

Each command runs as a fresh process, interleaved with the others, a number of times; the figures
are the medians of wall time and CPU time (user + system, from the child's rusage). The floor is
``python -c "import typer"`` measured in the same run (what any Typer command costs), and the
ratio column is CPU time / floor. For comparison, the last row imports what the database
commands import (the app's state: SQLAlchemy, FastAPI, the services), which every command paid
before the command modules were imported lazily.

    PYTHONPATH=src python bench/bench_cli_startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

BCRYPT = "$2a$10$fVH8e28OQRj9tqiDXs1e1uxpsjN0c7II7YPKXua2NAKYvM6iQk7dq"
SRC = str(Path(__file__).resolve().parents[1] / "src")

CASES: list[tuple[str, list[str], str]] = [
    ('python -c "import typer" (floor)', ["-c", "import typer"], ""),
    ("authshift --help", ["-m", "authshift", "--help"], ""),
    ("authshift --version", ["-m", "authshift", "--version"], ""),
    ("authshift hashes identify", ["-m", "authshift", "hashes", "identify"], BCRYPT + "\n"),
    ("authshift hashes verify", ["-m", "authshift", "hashes", "verify", "--hash", BCRYPT], "abcdefghijklmnopqrstuvwxyz\n"),
    ("(the app's state, as db commands)", ["-c", "import authshift.cli.users, authshift.state, authshift.app"], ""),
]


def one_run(args: list[str], stdin: str, env: dict[str, str]) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, *args], input=stdin, text=True, env=env, capture_output=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", ""), "COLUMNS": "80"}
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name, _, _ in CASES}
    for _name, args, stdin in CASES:  # warm the file cache (and .pyc files) once
        one_run(args, stdin, env)
    for _ in range(runs):
        for name, args, stdin in CASES:  # interleaved: a load spike hits every case alike
            samples[name].append(one_run(args, stdin, env))
    floor_cpu = statistics.median(cpu for _, cpu in samples[CASES[0][0]])
    print(f"load average {os.getloadavg()[0]:.1f}, {runs} runs each, medians")
    print(f"{'command':<38}{'wall s':>9}{'cpu s':>9}{'cpu/floor':>11}")
    for name, _, _ in CASES:
        wall = statistics.median(w for w, _ in samples[name])
        cpu = statistics.median(c for _, c in samples[name])
        print(f"{name:<38}{wall:>9.3f}{cpu:>9.3f}{cpu / floor_cpu:>10.1f}x")


if __name__ == "__main__":
    main()
