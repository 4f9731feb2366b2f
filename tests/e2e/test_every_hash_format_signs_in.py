"""The promise of a bulk migration, end to end: a user imported with ANY supported hash format
signs in through the hosted login page of a real ``authshift serve`` with their original password,
gets an authorization code and tokens, and from then on holds a native argon2id hash.

The users come from the worked examples of docs/hash-formats.md (one per format, each a real
hash of a known password), imported with the real ``authshift import`` command.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Mapping
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from authshift.accounts.login import GENERIC_FAILURE
from authshift.passwords import formats
from authshift.storage.db import create_engine
from authshift.storage.tables import identities, passwords, users
from tests.oidc.helpers import REDIRECT_URI, pkce_pair, query_of, sign_in, submit
from tests.support.servers import LiveServer, arun_cli


def format_users() -> list[tuple[str, str, dict]]:
    """(format name, password, import record) for every format's worked example."""
    out = []
    for info in formats():
        stored = dict(info.example) if isinstance(info.example, Mapping) else {"hash": info.example}
        out.append((info.name, info.example_password, {
            "email": f"{info.name.replace('_', '-')}@formats.example",
            "external_id": f"legacy-{info.name}",
            "password": stored,
        }))
    return out


async def stored_formats(db_url: str) -> dict[str, tuple[str, str]]:
    engine = create_engine(db_url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                sa.select(identities.c.value, passwords.c.format, users.c.migration_state)
                .join(passwords, passwords.c.user_id == identities.c.user_id)
                .join(users, users.c.id == identities.c.user_id)
                .where(identities.c.kind == "email")
            )
            return {r.value: (r.format, r.migration_state) for r in rows}
    finally:
        await engine.dispose()


@pytest.mark.timeout(900)  # every format (70+), each imported, signed in and rehashed
async def test_users_of_every_hash_format_sign_in_and_end_with_argon2id(
    settings_env: dict[str, str], tmp_path: Path, db_url: str
) -> None:
    cases = format_users()
    assert len(cases) >= 50, "every documented format is exercised"
    import_file = tmp_path / "users.ndjson"
    import_file.write_text("".join(json.dumps(record) + "\n" for _, _, record in cases))

    imported = await arun_cli(["import", str(import_file), "--report", str(tmp_path / "report.ndjson")], settings_env, timeout=300)
    assert imported.returncode == 0, imported.stderr
    report = [json.loads(line) for line in (tmp_path / "report.ndjson").read_text().splitlines()]
    failed = [r for r in report if r["outcome"] != "inserted"]
    assert not failed, failed
    before = await stored_formats(db_url)
    engine = create_engine(db_url)
    try:
        async with engine.connect() as conn:
            values = (await conn.execute(sa.select(passwords.c.value))).scalars().all()
    finally:
        await engine.dispose()
    # Firebase parameters given inline are kept apart (signer key encrypted), never in a password row
    assert not [v for v in values if "signer_key" in v], "a signer key is stored in clear"
    assert {state for _, state in before.values()} == {"imported"}

    made = await arun_cli(["clients", "create", "--name", "formats", "--redirect-uri", REDIRECT_URI, "--public"], settings_env)
    assert made.returncode == 0, made.stderr
    client_id = json.loads(made.stdout)["client_id"]

    server = LiveServer({**settings_env, "AUTHSHIFT_THROTTLE__IP_MAX_ATTEMPTS": "1000"}, tmp_path)
    server.start()
    try:
        # one client (building one costs a CA bundle load); a fresh cookie jar per user
        async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
            for name, password, record in cases:
                http.cookies.clear()
                verifier, challenge = pkce_pair()
                authorize = "/oauth2/authorize?" + urllib.parse.urlencode({
                    "response_type": "code", "client_id": client_id, "redirect_uri": REDIRECT_URI,
                    "scope": "openid email", "state": name, "code_challenge": challenge,
                    "code_challenge_method": "S256",
                })
                landed = await sign_in(http, server.url + authorize, record["email"].upper(), password)
                params = query_of(landed)
                assert params.get("state") == name and "code" in params, (name, landed)
                tokens = await http.post("/oauth2/token", data={
                    "grant_type": "authorization_code", "code": params["code"], "redirect_uri": REDIRECT_URI,
                    "client_id": client_id, "code_verifier": verifier,
                })
                assert tokens.status_code == 200, (name, tokens.text)
                assert {"access_token", "id_token"} <= set(tokens.json())
        # after the rehash, the original password is still the only one that works
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
            page = await http.get("/login")
            refused = await submit(http, page, {"login_id": cases[0][2]["email"], "password": cases[0][1] + "x"})
            assert refused.status_code != 303 and GENERIC_FAILURE in refused.text
    finally:
        server.stop()

    after = await stored_formats(db_url)
    not_native = {email: fmt for email, (fmt, _) in after.items() if fmt != "argon2id"}
    assert not not_native, f"still on a legacy hash after signing in: {not_native}"
    assert {state for _, state in after.values()} == {"migrated"}
