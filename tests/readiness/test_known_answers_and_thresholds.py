"""``authshift import --check-credentials`` (known answers) and ``--max-failed``, run as the real
command; the test accounts' passwords appear nowhere afterwards."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa

from authshift.schema import metadata
from authshift.storage.db import create_engine
from tests.readiness.helpers import MIXED, readiness_json, write_mixed
from tests.support.servers import arun_cli, run_cli

# Passwords no other test uses, so finding one anywhere means this feature leaked it.
SECRET_RIGHT = "lètmein"  # hex@'s real password (also sha1salt@'s)
SECRET_WRONG = "Kn0wn-Answer-Wrong-7c1e"


def creds_file(tmp_path: Path) -> Path:
    path = tmp_path / "creds.csv"
    path.write_text("login_id,password\n"
                    f"HEX@mixed.example,{SECRET_RIGHT}\n"
                    f"bcrypt@mixed.example,{SECRET_WRONG}\n"
                    "lazy@mixed.example,anything\n"
                    "ghost@mixed.example,anything\n"
                    "firebase-inline@mixed.example,user1password\n", encoding="utf-8")
    return path


async def everything_stored(db_url: str) -> str:
    """Every row of every table, as text."""
    engine = create_engine(db_url)
    try:
        async with engine.connect() as conn:
            parts = []
            for table in metadata.sorted_tables:
                parts += [repr(tuple(row)) for row in (await conn.execute(sa.select(table))).all()]
            return "\n".join(parts)
    finally:
        await engine.dispose()


async def test_known_answers_report_each_account_and_prove_the_right_ones(
    settings_env: dict[str, str], tmp_path: Path, db_url: str,
) -> None:
    users, config = write_mixed(tmp_path)
    creds = creds_file(tmp_path)
    env = {**settings_env, "AUTHSHIFT_LOG_LEVEL": "debug"}
    dry = await arun_cli(["import", str(users), "--hash-config", str(config), "--dry-run", "--report", str(tmp_path / "dry.ndjson"),
                   "--check-credentials", str(creds)], env)
    assert dry.returncode == 4, dry.stdout + dry.stderr  # some accounts cannot sign in
    assert "line 2: HEX@mixed.example: signs_in" in dry.stdout
    assert "line 3: bcrypt@mixed.example: wrong_password" in dry.stdout
    # parameters given inline verify in a dry run too, though it keeps nothing
    assert "line 6: firebase-inline@mixed.example: signs_in" in dry.stdout

    real = await arun_cli(["import", str(users), "--hash-config", str(config), "--report", str(tmp_path / "real.ndjson"),
                    "--check-credentials", str(creds)], env)
    assert real.returncode == 4, real.stdout + real.stderr
    out = real.stdout
    assert "line 2: HEX@mixed.example: signs_in" in out
    assert "line 3: bcrypt@mixed.example: wrong_password" in out
    assert "line 4: lazy@mixed.example: lazy" in out
    assert "line 5: ghost@mixed.example: unknown_login_id" in out
    assert "line 6: firebase-inline@mixed.example: signs_in" in out
    # the known answer proved the ambiguous 32-hex hash: that user is ready now, the other guess is not
    table = readiness_json(settings_env, "--hash-family", "django_unsalted_md5")
    assert len(table["users"]) == 1 and table["users"][0]["reason"] is None
    unverified = readiness_json(settings_env, "--readiness", "unverified")["users"]
    assert len(unverified) == 1 and "ambiguous" in unverified[0]["reason"]

    # the passwords are nowhere: not in the outputs, reports, logs, or any table
    texts = [dry.stdout, dry.stderr, real.stdout, real.stderr, (tmp_path / "dry.ndjson").read_text(),
             (tmp_path / "real.ndjson").read_text(), await everything_stored(db_url)]
    for text in texts:
        assert SECRET_RIGHT not in text and SECRET_WRONG not in text

    # only the accounts that sign in: exit 0
    good = tmp_path / "good.csv"
    good.write_text(f"login_id,password\nhex@mixed.example,{SECRET_RIGHT}\n", encoding="utf-8")
    again = await arun_cli(["import", str(users), "--hash-config", str(config), "--dry-run", "--report", str(tmp_path / "d2.ndjson"),
                     "--check-credentials", str(good)], env)
    assert again.returncode == 0, again.stdout + again.stderr


def test_bad_credentials_files_are_refused_before_importing(settings_env: dict[str, str], tmp_path: Path) -> None:
    users, _ = write_mixed(tmp_path)
    for content, expected in (("email,secret\na@b.c,x\n", "login_id,password"),
                              ("login_id,password\na@b.c\n", "line 2")):
        bad = tmp_path / "bad.csv"
        bad.write_text(content)
        result = run_cli(["import", str(users), "--check-credentials", str(bad)], settings_env)
        assert result.returncode == 2 and expected in result.stderr, result.stderr
    listed = readiness_json(settings_env)
    assert listed["users"] == 0  # nothing was imported


def test_max_failed_sets_the_exit_status_above_the_threshold(settings_env: dict[str, str], tmp_path: Path) -> None:
    users, config = write_mixed(tmp_path)  # 17 records, 1 fails
    def dry(threshold: str) -> int:
        result = run_cli(["import", str(users), "--hash-config", str(config), "--dry-run", "--max-failed", threshold,
                          "--report", str(tmp_path / "r.ndjson")], settings_env)
        return result.returncode
    assert dry("10%") == 0  # 1 of 17 is 5.9%
    assert dry("5%") == 3
    bad = run_cli(["import", str(users), "--max-failed", "lots"], settings_env)
    assert bad.returncode == 2 and "--max-failed" in bad.stderr
    real = run_cli(["import", str(users), "--hash-config", str(config), "--max-failed", "0",
                    "--report", str(tmp_path / "real.ndjson")], settings_env)
    assert real.returncode == 3 and "more than --max-failed 0" in real.stderr
    assert [json.loads(x)["outcome"] for x in (tmp_path / "real.ndjson").read_text().splitlines()].count("inserted") == len(MIXED)
