"""docs/bulk-migration.md, sections 4a and 4b: the readiness, known-answers and undo examples run as
written, and the table they print is the document's."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

from tests.support.servers import run_cli

DOC = Path(__file__).resolve().parents[2] / "docs" / "bulk-migration.md"


def example(name: str) -> str:
    match = re.search(rf"<!-- example: {name} -->\n```\w+\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert match, f"docs/bulk-migration.md has no example {name!r}"
    return match.group(1)


def commands(name: str) -> list[list[str]]:
    return [shlex.split(line)[1:] for line in example(name).splitlines() if line.startswith("authshift ")]


def test_readiness_known_answers_and_undo_work_as_documented(settings_env: dict[str, str], tmp_path: Path) -> None:
    (tmp_path / "accounts.ndjson").write_text(example("readiness-users"), encoding="utf-8")
    (tmp_path / "test-accounts.csv").write_text(example("readiness-credentials"), encoding="utf-8")

    [imported_args] = commands("readiness-import")
    imported = run_cli(imported_args, settings_env, cwd=tmp_path)
    assert imported.returncode == 0, imported.stdout + imported.stderr
    assert "line 2: bob@example.com: signs_in" in imported.stdout
    assert "warning:" in imported.stdout  # cy is lazy and no legacy system is configured
    report = [json.loads(line) for line in (tmp_path / "accounts-report.ndjson").read_text().splitlines()]
    assert [r["readiness"] for r in report] == ["ready", "unverified", "lazy", "reset"]  # as imported
    job_id = next(line.split()[2].rstrip(":") for line in imported.stdout.splitlines() if line.startswith("import job "))

    [table_args] = commands("readiness-table-command")
    table = run_cli(table_args, settings_env, cwd=tmp_path)
    assert table.returncode == 0, table.stderr
    assert table.stdout == example("readiness-table")  # bob's known answer confirmed his hash: ready

    [cell_args] = commands("readiness-cell")
    cell = run_cli(cell_args, settings_env, cwd=tmp_path)
    assert cell.returncode == 0, cell.stderr
    users = json.loads(cell.stdout)["users"]
    assert [u["id"] for u in users] == [report[3]["user_id"]] and "reset" in users[0]["reason"]

    preview_args, undo_args = [[job_id if a == "JOB_ID" else a for a in args] for args in commands("undo")]
    preview = run_cli(preview_args, settings_env, cwd=tmp_path)
    assert preview.returncode == 0, preview.stderr
    assert re.search(r"^\s+4  users it inserted, to remove$", preview.stdout, re.M), preview.stdout
    assert "would undo" in preview.stdout
    undone = run_cli(undo_args, settings_env, cwd=tmp_path)
    assert undone.returncode == 0 and "undone" in undone.stdout, undone.stderr
    after = run_cli(table_args, settings_env, cwd=tmp_path)
    assert "(0 users)" in after.stdout


def test_factors_other_than_the_password_are_judged_as_documented(settings_env: dict[str, str], tmp_path: Path) -> None:
    (tmp_path / "factors.ndjson").write_text(example("readiness-factors"), encoding="utf-8")
    imported_args, reset_args, ready_args = commands("readiness-factors-commands")
    imported = run_cli(imported_args, settings_env, cwd=tmp_path)
    assert imported.returncode == 0, imported.stdout + imported.stderr
    eve, fay = [json.loads(line) for line in (tmp_path / "factors-report.ndjson").read_text().splitlines()]
    assert (eve["readiness"], fay["readiness"]) == ("reset", "ready")
    assert any(w["path"] == "mfa.webauthn[0].rp_id" for w in fay["warnings"])

    reasons = {}
    for args in (reset_args, ready_args):
        listed = run_cli(args, settings_env, cwd=tmp_path)
        assert listed.returncode == 0, listed.stderr
        reasons.update({u["id"]: u["reason"] for u in json.loads(listed.stdout)["users"]})
    doc = " ".join(DOC.read_text(encoding="utf-8").split())
    assert f'Eve is `reset` ("{reasons[eve["user_id"]]}")' in doc  # the reason, word for word
    assert "must register a new passkey" in reasons[fay["user_id"]] and "SMS" in reasons[fay["user_id"]]
