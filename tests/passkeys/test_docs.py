"""The passkey examples of the docs work as written: the `[webauthn]` example of
docs/rolling-migration.md loads, and with it authshift serves the `/.well-known/webauthn` document
the guide shows; the doc's account-area table names routes that exist; import-format.md's FusionAuth
example imports the user with their passkey."""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
from pathlib import Path

import httpx

from authshift.app import create_app
from authshift.config import Settings, load_settings
from tests.foundation.test_docs_shell import _bin as shell_bin
from tests.support.servers import LiveServer, authshift_env, run_cli

DOCS = Path(__file__).resolve().parents[2] / "docs"


def example(name: str) -> str:
    match = re.search(rf"<!-- example: {name} -->\n```\w+\n(.*?)```", (DOCS / "rolling-migration.md").read_text(), re.S)
    assert match, f"docs/rolling-migration.md has no example {name!r}"
    return match.group(1)


async def test_the_related_origins_document_is_what_the_guide_shows(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "webauthn.toml"
    path.write_text(example("webauthn-config"))
    loaded = load_settings(path, database_url=settings.database_url)
    assert loaded.webauthn_rp_id == "legacy.example.com"
    merged = settings.model_copy(update={"webauthn": loaded.webauthn})
    app = create_app(merged)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:8000") as client:
            response = await client.get("/.well-known/webauthn")
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    assert response.json() == json.loads(example("webauthn-well-known"))


async def test_without_settings_the_issuer_is_the_only_origin(client: httpx.AsyncClient, settings: Settings) -> None:
    response = await client.get("/.well-known/webauthn")
    assert response.json() == {"origins": [settings.public_issuer]}


async def test_the_account_area_routes_of_the_doc_exist(client: httpx.AsyncClient) -> None:
    table = (DOCS / "account-pages.md").read_text().split("## The account area", 1)[1].split("## Passkeys", 1)[0]
    documented = re.findall(r"`(GET/POST|GET|POST) (/account[^`]*)`", table)
    documented += [("POST", p) for pair in re.findall(r"`POST (/account[^`]*)`, `POST (/account[^`]*)`", table) for p in pair]
    assert len(documented) >= 8
    for methods, path in documented:
        for method in methods.split("/"):
            response = await client.request(method, path.replace("{id}", "0190a6e2-7c1e-7d3a-9b5e-2f1c3d4e5f60"))
            # Without a session or a CSRF token: sent to /login (303) or refused (403), never unknown.
            assert response.status_code in (303, 403), (method, path, response.status_code)


def import_format_block(name: str, lang: str) -> str:
    text = (DOCS / "import-format.md").read_text()
    match = re.search(rf"<!-- example: {name} -->\n```{lang}\n(.*?)```", text, re.S)
    assert match, f"docs/import-format.md has no {lang} example {name!r}"
    return match.group(1)


def test_the_fusionauth_import_of_the_doc_keeps_the_passkey(localhost_server: LiveServer, tmp_path: Path) -> None:
    """import-format.md#fusionauth as a reader runs it: the user import body and the WebAuthn import
    body beside it (its RP ID made this server's), the command as written."""
    folder = tmp_path / "reader"
    folder.mkdir()
    users = re.search(r"```json fusionauth\n(.*?)```", (DOCS / "import-format.md").read_text(), re.S)
    assert users
    (folder / "fusionauth-users.json").write_text(users.group(1))
    (folder / "fusionauth-webauthn.json").write_text(
        import_format_block("fusionauth-webauthn", "json").replace('"auth.example.com"', '"localhost"'))
    env = authshift_env(localhost_server.env)
    env["PATH"] = f"{shell_bin(tmp_path)}{os.pathsep}{env['PATH']}"
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", import_format_block("fusionauth-import", "sh")], cwd=folder,
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    (outcome,) = [json.loads(line) for line in (folder / "fusionauth-report.ndjson").read_text().splitlines()]
    assert outcome["outcome"] == "inserted" and not [w for w in outcome["warnings"] if "passkey" in w["message"]]
    shown = json.loads(run_cli(["users", "get", outcome["user_id"]], localhost_server.env).stdout)
    (passkey,) = shown["mfa"]["webauthn"]
    assert passkey["name"] == "Chrome Touch ID" and passkey["rp_id"] == "localhost" and passkey["sign_count"] == 41
    assert base64.urlsafe_b64decode(passkey["user_handle"] + "==") == b"703fe2d2-2d39-4cb7-b76d-0b9918ed2457"
    assert shown["roles"] == ["admin"] and shown["external_id"] == "703fe2d2-2d39-4cb7-b76d-0b9918ed2457"
