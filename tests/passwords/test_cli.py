"""``authshift hashes`` run as a real process: exit codes, output, stdin handling."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SRC = str(Path(__file__).resolve().parents[2] / "src")
BCRYPT = "$2a$10$fVH8e28OQRj9tqiDXs1e1uxpsjN0c7II7YPKXua2NAKYvM6iQk7dq"  # "abcdefghijklmnopqrstuvwxyz"
FIREBASE = {
    "algorithm": "firebase_scrypt",
    "hash": "lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ==",
    "salt": "42xEC+ixf3L2lw==",
    "hash_config": "default",
}
CONSOLE_BLOCK = """hash_config {
  algorithm: SCRYPT,
  base64_signer_key: jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==,
  base64_salt_separator: Bw==,
  rounds: 8,
  mem_cost: 14,
}
"""


def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.run(
        [sys.executable, "-m", "authshift.cli.hashes", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_verify_exit_codes() -> None:
    match = run("verify", "--hash", BCRYPT, stdin="abcdefghijklmnopqrstuvwxyz\n")
    assert match.returncode == 0, match.stderr
    assert match.stdout.strip() == "match (bcrypt)"
    no_match = run("verify", "--hash", BCRYPT, stdin="abcdefghijklmnopqrstuvwxyZ\n")
    assert no_match.returncode == 1
    assert no_match.stdout.strip() == "no match (bcrypt)"
    unreadable = run("verify", "--hash", "$2b$99$nope", stdin="x\n")
    assert unreadable.returncode == 2
    assert "bcrypt hash:" in unreadable.stderr
    assert "$2b$99$nope" not in unreadable.stderr + unreadable.stdout


def test_verify_strips_exactly_one_trailing_newline() -> None:
    # md5 of "pass\n" and "pass " : the remaining whitespace is part of the password
    import hashlib

    with_newline = hashlib.md5(b"pass\n").hexdigest()
    assert run("verify", "--hash", with_newline, stdin="pass\n\n").returncode == 0
    assert run("verify", "--hash", with_newline, stdin="pass\n").returncode == 1
    trailing_space = hashlib.md5(b"pass ").hexdigest()
    assert run("verify", "--hash", trailing_space, stdin="pass \r\n").returncode == 0
    non_ascii = hashlib.md5("pässwörd".encode()).hexdigest()
    assert run("verify", "--hash", non_ascii, stdin="pässwörd").returncode == 0


def test_verify_structured_json_with_a_hash_config_file(tmp_path: Path) -> None:
    config = tmp_path / "firebase.txt"
    config.write_text(CONSOLE_BLOCK)
    spec = json.dumps(FIREBASE)
    assert run("verify", "--hash", spec, "--hash-config", str(config), stdin="user1password\n").returncode == 0
    assert run("verify", "--hash", spec, "--hash-config", str(config), stdin="user2password\n").returncode == 1
    missing = run("verify", "--hash", spec, stdin="user1password\n")
    assert missing.returncode == 2
    assert "hash config 'default' is needed" in missing.stderr
    bad_config = tmp_path / "bad.txt"
    bad_config.write_text("{nope")
    assert run("verify", "--hash", spec, "--hash-config", str(bad_config), stdin="x\n").returncode == 2


def test_identify_reads_a_file_and_names_each_line(tmp_path: Path) -> None:
    hashes = tmp_path / "hashes.txt"
    hashes.write_text(
        "\n".join(
            [
                BCRYPT,
                "",
                "{SSHA}0c0blFTXXNuAMHECS4uxrj3ZieMoWImr",
                json.dumps({"algorithm": "aspnet_identity", "hash": "AAABAgMEBQYHCAkKCwwNDg+ukCEMDf0yyQ29NYubggHIVY0sdEUfdyeM+E1LtH1uJg=="}),
                "pbkdf2_sha256$600000$seasalt$OAXyhAQ/4ZDA9V5RMExt3C1OwQdUpLZ99vm1McFlLRA=",
            ]
        )
        + "\n"
    )
    result = run("identify", str(hashes))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == [
        "line 1: bcrypt",
        "line 3: ldap_salted_sha1",
        "line 4: aspnet_identity",
        "line 5: django_pbkdf2_sha256",
    ]
    assert "4 hashes, 4 usable, 0 not" in result.stderr


def test_identify_from_stdin_reports_each_bad_line_and_exits_1() -> None:
    lines = [BCRYPT, "hunter2", "$2b$31$" + "a" * 53, '{"algorithm": "md5", "hash": "xyz"}']
    result = run("identify", stdin="\n".join(lines) + "\n")
    assert result.returncode == 1
    out = result.stdout.splitlines()
    assert out[0] == "line 1: bcrypt"
    assert out[1] == "line 2: error: password hash: unrecognised (no known format prefix or shape)"
    assert out[2].startswith("line 3: error: bcrypt hash: cost 31 is over the ceiling 14")
    assert out[3] == "line 4: error: md5 hash: hash is not valid hex"
    assert "hunter2" not in result.stdout + result.stderr


@pytest.mark.parametrize("args", [[], ["--help"]])
def test_help(args: list[str]) -> None:
    result = run(*args)
    assert "identify" in result.stdout and "verify" in result.stdout
