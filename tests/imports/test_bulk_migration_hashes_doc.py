"""docs/bulk-migration.md, "Several Firebase projects" and "A Flask application before Werkzeug
2.3": the guide's commands run as written (with the files they name), and their users sign in
through the hosted login of a real server."""

from __future__ import annotations

import json
import re
import shlex
import urllib.parse
from pathlib import Path

import httpx

from tests.e2e.test_firebase_projects_sign_in import A_CONSOLE_BLOCK, A_USERS, B_CONFIG, SAMPLES
from tests.imports.helpers import read_ndjson, summary_counts
from tests.oidc.helpers import REDIRECT_URI, pkce_pair, query_of, sign_in
from tests.support.servers import LiveServer, arun_cli

DOC = Path(__file__).resolve().parents[2] / "docs" / "bulk-migration.md"
WERKZEUG_22 = json.loads((Path(__file__).resolve().parents[1] / "passwords" / "fixtures" / "werkzeug_2_2.json")
                         .read_text(encoding="utf-8"))["vectors"]


def _commands(*needles: str) -> list[str]:
    lines = [line.strip() for block in re.findall(r"```sh\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
             for line in block.splitlines()]
    return [line for line in lines if line.startswith("authshift ") and any(n in line for n in needles)]


async def _signs_in(server: LiveServer, client_id: str, login_id: str, password: str) -> bool:
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
        _, challenge = pkce_pair()
        authorize = "/oauth2/authorize?" + urllib.parse.urlencode({
            "response_type": "code", "client_id": client_id, "redirect_uri": REDIRECT_URI, "scope": "openid",
            "state": "s", "code_challenge": challenge, "code_challenge_method": "S256",
        })
        return "code" in query_of(await sign_in(http, server.url + authorize, login_id, password))


async def test_the_guide_imports_two_firebase_projects_and_a_flask_app_whose_users_sign_in(
    settings_env: dict[str, str], tmp_path: Path
) -> None:
    (tmp_path / "project-a-users.json").write_text(json.dumps(A_USERS))
    (tmp_path / "project-a-hash.txt").write_text(A_CONSOLE_BLOCK)
    (tmp_path / "project-b-users.csv").write_bytes((SAMPLES / "firebase-users.csv").read_bytes())
    (tmp_path / "project-b-hash.txt").write_bytes(B_CONFIG.read_bytes())
    flask_users = [{"email": f"flask{i}@example.org", "password": {"hash": v["hash"]}} for i, v in enumerate(WERKZEUG_22)]
    (tmp_path / "flask-users.ndjson").write_text("".join(json.dumps(u) + "\n" for u in flask_users))

    firebase, flask = _commands("--hash-config-name"), _commands("--hash-format")
    assert len(firebase) == 2 and len(flask) == 1
    for command, inserted in zip(firebase + flask, (1, 3, len(WERKZEUG_22)), strict=True):
        result = await arun_cli(shlex.split(command)[1:], settings_env, cwd=tmp_path)
        assert result.returncode == 0, f"{command}: {result.stdout}{result.stderr}"
        counts = summary_counts(result.stdout)
        assert (counts["inserted"], counts["failed"]) == (inserted, 0), result.stdout
    report = read_ndjson(tmp_path / "flask-report.ndjson")
    assert all(r["warnings"] == [] for r in report), report  # named: no guess, no warning

    # as the guide says: a name that holds other parameters is refused, before anything is written
    clash = await arun_cli(shlex.split(firebase[1].replace("project-b-hash.txt", "project-a-hash.txt"))[1:], settings_env,
                    cwd=tmp_path)
    assert clash.returncode == 2 and "project-b" in clash.stderr, clash.stderr

    made = await arun_cli(["clients", "create", "--name", "doc", "--redirect-uri", REDIRECT_URI, "--public"], settings_env)
    client_id = json.loads(made.stdout)["client_id"]
    server = LiveServer(settings_env, tmp_path)
    server.start()
    try:
        assert await _signs_in(server, client_id, "user1@project-a.example", "user1password")
        assert await _signs_in(server, client_id, "ken@example.net", "Ken-firebase-11")  # from the CSV
        for user, vector in zip(flask_users, WERKZEUG_22, strict=True):
            assert await _signs_in(server, client_id, user["email"], vector["password"]), vector["method"]
    finally:
        server.stop()
