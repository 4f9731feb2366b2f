"""Two legacy systems, one authshift: external_id is unique per source (issue 13).

The shop and the forum both numbered their users 1, 2; imported with docs/import-format.md's own
commands (``--source``), every user of both signs in through the hosted login as themselves."""

from __future__ import annotations

import asyncio
import json
import re
import shlex
from pathlib import Path
from typing import Any

import httpx

from tests.imports.helpers import BCRYPT, BCRYPT_PASSWORD, read_ndjson, write_ndjson
from tests.imports.hosted_login import signed_in_subject
from tests.support.servers import run_cli

DOC = Path(__file__).resolve().parents[2] / "docs" / "import-format.md"


def _source_commands() -> list[list[str]]:
    section = DOC.read_text(encoding="utf-8").split("## Sources", 1)[1].split("\n## ", 1)[0]
    (block,) = re.findall(r"```sh\n(.*?)```", section, re.S)
    return [shlex.split(line)[1:] for line in block.splitlines() if line.startswith("authshift ")]


def _reports(directory: Path) -> list[dict[str, Any]]:
    return [line for path in sorted(directory.glob("report-*.ndjson")) for line in read_ndjson(path)]


async def test_two_systems_numbering_users_alike_import_side_by_side_and_all_sign_in(
    app: Any, client: httpx.AsyncClient, admin_headers: dict[str, str], settings_env: dict[str, str], tmp_path: Path
) -> None:
    state = app.state.authshift
    people = {"shop": ["ann@shop.example", "bob@shop.example"], "forum": ["cat@forum.example", "dan@forum.example"]}
    for system, emails in people.items():
        write_ndjson(tmp_path / f"{system}-users.ndjson", [
            {"external_id": str(n), "email": email, "password": {"hash": BCRYPT}} for n, email in enumerate(emails, 1)])
    commands = _source_commands()
    assert [c[:2] for c in commands] == [["import", "shop-users.ndjson"], ["import", "forum-users.ndjson"]]
    for n, args in enumerate(commands):
        result = await asyncio.to_thread(run_cli, [*args, "--report", f"report-{n}.ndjson"], settings_env, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
    outcomes = _reports(tmp_path)
    assert [o["outcome"] for o in outcomes] == ["inserted"] * 4, outcomes

    for system, emails in people.items():
        for n, email in enumerate(emails, 1):
            sub = await signed_in_subject(client, state, email, BCRYPT_PASSWORD)
            user = (await client.get(f"/api/admin/v1/users/{sub}", headers=admin_headers)).json()
            assert (user["email"], user["source"], user["external_id"]) == (email, system, str(n))

    # Running the shop's import again finds its users within the shop only: skipped, none failed.
    for path in tmp_path.glob("report-*.ndjson"):
        path.unlink()
    again = await asyncio.to_thread(run_cli, [*commands[0], "--report", "report-again.ndjson"], settings_env,
                                    cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert [o["outcome"] for o in _reports(tmp_path)] == ["skipped", "skipped"]


async def test_a_record_contradicting_the_named_source_fails_with_both_names(
    app: Any, client: httpx.AsyncClient, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    """The admin API takes the same option; a native record naming another source is not moved silently."""
    body = (json.dumps({"email": "eve@shop.example", "external_id": "7", "source": "forum", "password": {"hash": BCRYPT}})
            + "\n" + json.dumps({"email": "fay@shop.example", "external_id": "7", "password": {"hash": BCRYPT}}) + "\n")
    created = await client.post("/api/admin/v1/imports", headers=admin_headers, params={"source": "shop"},
                                content=body.encode())
    assert created.status_code == 202, created.text
    job_id = created.json()["id"]
    for _ in range(600):
        job = (await client.get(f"/api/admin/v1/imports/{job_id}", headers=admin_headers)).json()
        if job["state"] in ("completed", "failed"):
            break
        await asyncio.sleep(0.05)
    results = [json.loads(line) for line in
               (await client.get(f"/api/admin/v1/imports/{job_id}/results", headers=admin_headers)).text.splitlines()]
    assert [r["outcome"] for r in results] == ["failed", "inserted"]
    assert results[0]["errors"][0]["path"] == "source" and "'forum'" in results[0]["errors"][0]["message"] \
        and "'shop'" in results[0]["errors"][0]["message"]
    sub = await signed_in_subject(client, app.state.authshift, "fay@shop.example", BCRYPT_PASSWORD)
    assert sub == results[1]["user_id"]
    bad = await client.post("/api/admin/v1/imports", headers=admin_headers, params={"source": " "}, content=body.encode())
    assert bad.status_code == 400 or bad.status_code == 422, bad.text
