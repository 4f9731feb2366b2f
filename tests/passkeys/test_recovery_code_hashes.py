"""Recovery codes imported as the legacy system's hashes (bcrypt here, Django's PBKDF2 there) work
once each as the second step of the hosted sign-in; the hashes never appear in the report."""

from __future__ import annotations

import json
from pathlib import Path

import bcrypt
import httpx
from passlib.hash import django_pbkdf2_sha256

from tests.pages.helpers import csrf_token
from tests.support.servers import arun_cli

PASSWORD = "correct horse battery"


async def sign_in(client: httpx.AsyncClient, code: str) -> httpx.Response:
    client.cookies.clear()
    page = await client.get("/login")
    step = await client.post("/login", data={"csrf_token": csrf_token(page.text), "login_id": "rita@example.com",
                                             "password": PASSWORD})
    assert step.status_code == 303 and step.headers["location"].startswith("/login/totp"), step.text
    page = await client.get("/login/totp")
    return await client.post("/login/totp", data={"csrf_token": csrf_token(page.text), "code": code})


async def test_imported_recovery_code_hashes_sign_in_once(client: httpx.AsyncClient, settings_env: dict[str, str],
                                                          tmp_path: Path) -> None:
    record = {
        "email": "rita@example.com",
        "password": {"hash": bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(4)).decode()},
        "mfa": {"totp": [{"secret": "JBSWY3DPEHPK3PXP"}],  # recovery codes stand in for the app's codes
                "recovery_code_hashes": [bcrypt.hashpw(b"k7q2m9x4", bcrypt.gensalt(4)).decode(),
                                         django_pbkdf2_sha256.using(rounds=10_000).hash("55310874")]},
    }
    path, report = tmp_path / "users.ndjson", tmp_path / "report.ndjson"
    path.write_text(json.dumps(record) + "\n")
    done = await arun_cli(["import", str(path), "--report", str(report)], settings_env, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(report.read_text().splitlines()[0])["outcome"] == "inserted"
    assert "$2b$" not in report.read_text()

    assert (await sign_in(client, "wrong-code")).status_code == 400
    first = await sign_in(client, "K7Q2-M9X4")  # as printed; the legacy system hashed it compact, lower case
    assert first.status_code == 303 and first.headers["location"] == "/", first.text
    assert (await sign_in(client, "k7q2m9x4")).status_code == 400  # used up
    digits = await sign_in(client, "5531 0874")
    assert digits.status_code == 303 and digits.headers["location"] == "/"
