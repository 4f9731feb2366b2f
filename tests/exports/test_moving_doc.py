"""docs/export.md, "Moving to another authshift", run as written: the runs after the first skip
the users already moved, saying how they were found, instead of failing them (issue 18); every
user keeps their source, with external ids unique per source (issue 13); and they sign in."""

from __future__ import annotations

import re
import shlex
import uuid
from pathlib import Path
from typing import Any

from authshift.accounts import login
from authshift.accounts import users as svc
from tests.exports.conftest import cli, fresh_env, fresh_state, read_ndjson
from tests.imports.helpers import BCRYPT, BCRYPT_PASSWORD, run_import, write_ndjson

DOC = Path(__file__).resolve().parents[2] / "docs" / "export.md"


def _moving_commands() -> list[list[str]]:
    section = DOC.read_text(encoding="utf-8").split("## Moving to another authshift", 1)[1].split("\n## ", 1)[0]
    (block,) = re.findall(r"```sh\n(.*?)```", section, re.S)
    return [shlex.split(line.split(" #")[0])[1:] for line in block.splitlines() if line.startswith("authshift ")]


async def test_moving_users_by_the_guide_skips_what_earlier_runs_moved(
    app: Any, settings_env: dict[str, str], fresh_db_url: str, tmp_path: Path
) -> None:
    old = app.state.authshift
    # Two legacy systems numbering users alike, and a user born here.
    shop = write_ndjson(tmp_path / "shop.ndjson", [
        {"external_id": "1", "email": "ann@shop.example", "password": {"hash": BCRYPT}},
        {"external_id": "2", "preferred_username": "bob", "password": {"hash": BCRYPT}},
        {"external_id": "3", "password": {"hash": BCRYPT}},
    ])
    forum = write_ndjson(tmp_path / "forum.ndjson", [
        {"external_id": "1", "email": "cat@forum.example", "preferred_username": "cat", "password": {"hash": BCRYPT}},
        {"external_id": "2", "preferred_username": "dan", "password": {"hash": BCRYPT}},
    ])
    for path, source in ((shop, "shop"), (forum, "forum")):
        summary, _ = await run_import(old, path, source=source, identifier="external_id")
        assert summary.counts.inserted == (3 if source == "shop" else 2)
    async with old.engine.begin() as conn:
        await svc.create_user(conn, {"email": "eve@here.example", "password": BCRYPT_PASSWORD}, ctx=old.accounts)

    export, create, *imports = _moving_commands()
    assert export[:1] == ["export"] and create == ["db", "upgrade"]
    assert [args[:2] for args in imports] == [["import", "everyone.ndjson"]] * 3
    exported = await cli(export, settings_env, cwd=tmp_path)
    assert exported.returncode == 0, exported.stderr
    records = read_ndjson(tmp_path / "everyone.ndjson")
    assert len(records) == 6

    new_env = fresh_env(fresh_db_url, tmp_path)
    created = await cli(create, new_env, cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    runs = []
    for n, args in enumerate(imports, 1):
        result = await cli([*args, "--report", f"run{n}.ndjson"], new_env, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        runs.append({line["index"]: line for line in read_ndjson(tmp_path / f"run{n}.ndjson")})
    inserted = [i for run in runs for i, line in run.items() if line["outcome"] == "inserted"]
    assert sorted(inserted) == list(range(1, 7)), runs  # every user moved, exactly once
    for n, run in enumerate(runs[1:], 2):
        for index, line in run.items():
            moved_before = any(earlier[index]["outcome"] == "inserted" for earlier in runs[:n - 1])
            if moved_before:  # never failed: skipped, with how the user was found
                assert line["outcome"] == "skipped" and line["reason"], line
            else:
                assert line["outcome"] in ("inserted", "failed"), line
    assert all(line["outcome"] != "failed" for line in runs[-1].values()), runs[-1]
    reasons = {line["reason"] for run in runs[1:] for line in run.values() if line["outcome"] == "skipped"}
    assert any("found by email" in r and "preferred username" in r for r in reasons), reasons

    new = await fresh_state(fresh_db_url, tmp_path)
    try:
        async with new.engine.connect() as conn:
            moved = await svc.load_records(conn, [uuid.UUID(r["id"]) for r in records])
        assert {(r["id"], r["source"], r.get("external_id")) for r in moved} == \
            {(r["id"], r["source"], r.get("external_id")) for r in records}
        assert {r["source"] for r in moved} == {"shop", "forum", "default"}
        for login_id in ("ann@shop.example", "bob", "cat@forum.example", "dan", "eve@here.example"):
            password = BCRYPT_PASSWORD
            result = await login.login(new, login_id, password)
            assert result.outcome == login.LoginOutcome.OK, login_id
    finally:
        await new.close()
