"""The progress line of ``authshift import``: percentage and time left by bytes read, readable at
80 columns and narrower. The command runs in a pseudo-terminal of that width, as a person runs it."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest

from authshift.cli.progress_line import progress_line
from tests.imports.helpers import write_ndjson
from tests.support.servers import authshift_env, run_cli

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
PERCENT = re.compile(r"\b(\d{1,3})% (?:(?:\d+h )?(?:\d+m )?\d+s left|\? left|done)")


def run_in_terminal(args: list[str], env: dict[str, str], columns: int, cwd: Path) -> str:
    """``authshift ARGS`` with stdout and stderr on a terminal ``columns`` wide; what it showed."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    process = subprocess.Popen([sys.executable, "-m", "authshift", *args], stdin=subprocess.DEVNULL, stdout=follower,
                               stderr=follower, cwd=cwd, env={**authshift_env(env), "COLUMNS": str(columns),
                                                               "TERM": "xterm"})
    os.close(follower)
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the command ended and closed the terminal
            break
        if not chunk:
            break
        shown += chunk
    assert process.wait(timeout=120) == 0, shown.decode(errors="replace")
    os.close(leader)
    return shown.decode()


def frames(shown: str) -> list[str]:
    """Every state of the screen's lines: each redraw (carriage return, cursor moves) is one."""
    text = ANSI.sub("\n", shown)
    return [line for line in re.split(r"[\r\n]", text) if line.strip()]


@pytest.mark.parametrize("columns", [80, 44])
def test_progress_shows_percentage_and_time_left_within_the_width(
    settings_env: dict[str, str], tmp_path: Path, columns: int,
) -> None:
    records = [{"email": f"user{n}@example.com", "given_name": "x" * 40} for n in range(3000)]
    records[5] = '{"email": "broken'
    path = write_ndjson(tmp_path / "customers-export-2026-12-01-final.ndjson", records)
    env = {**settings_env, "AUTHSHIFT_IMPORTS__BATCH_SIZE": "200"}
    shown = run_in_terminal(["import", str(path)], env, columns, tmp_path)
    lines = frames(shown)
    progress = [(int(m.group(1)), line) for line in lines if (m := PERCENT.search(line))]
    assert progress, lines
    assert all(len(line) <= columns for _, line in progress), [line for _, line in progress if len(line) > columns]
    assert not any("job_id" in line for _, line in progress)  # log lines print above the progress, not into it
    under_way = [line for percent, line in progress if 0 < percent < 100 and "s left" in line]
    assert under_way, progress  # a share of the file and a time left while it runs
    assert progress[-1][0] == 100 and "done" in progress[-1][1]
    if columns >= 80:  # the counts and a bar fit at 80 columns
        assert re.search(r"\[#+-*\]", under_way[0]) and re.search(r"[\d,]+ read, 1 failed", progress[-1][1])
    assert "import job" in shown and "completed" in shown


def test_progress_line_keeps_the_share_and_time_first() -> None:
    name = "import customers-export-2026-12-01-final.ndjson"
    counts = "1,234,567 read, 12,345 failed"
    wide = progress_line(name, 4_500_000, 10_000_000, 250.0, counts, 80)
    assert len(wide) <= 80 and " 45% 5m 06s left  1,234,567 read, 12,345 failed" in wide and "[####" in wide
    for width in (60, 40, 30, 16):
        narrow = progress_line(name, 4_500_000, 10_000_000, 250.0, counts, width)
        assert len(narrow) <= width and "45% 5m 06s left" in narrow
    assert progress_line(name, 0, 10_000_000, 0.0, "", 80).endswith("0% ? left")
    assert "100% done" in progress_line(name, 10, 10, 3.0, "3 read, 0 failed", 80, finished=True)


def test_without_a_terminal_the_final_line_is_printed_once(settings_env: dict[str, str], tmp_path: Path) -> None:
    path = write_ndjson(tmp_path / "users.ndjson", [{"email": "a@x.com"}, {"email": "b@x.com"}])
    done = run_cli(["import", str(path)], {**settings_env, "COLUMNS": "80"}, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    shown = [line for line in done.stderr.splitlines() if "%" in line]
    assert len(shown) == 1 and "100% done  2 read, 0 failed" in shown[0] and len(shown[0]) <= 80
