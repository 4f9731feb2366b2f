"""Firebase users move authshift -> export -> a fresh authshift, and sign in there.

A Firebase hash verifies only with its project's parameters, whose signer key is a secret. Users
come in two ways: a Firebase export with ``--hash-config FILE --hash-config-name NAME`` (the
parameters named), and a native record carrying the parameters inline in its password object.
Either way the signer key is kept encrypted at rest (``password_hash_configs``), never in a password
row, never in a report or a log. An export with ``--include-secrets`` writes the parameters inline,
so the fresh instance (which knows no such name) imports the users ``ready`` and they sign in on
its hosted login; an export without it carries no signer key and says what such users will need.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import httpx
import sqlalchemy as sa

from authshift.accounts.hash_config_store import password_hash_configs
from authshift.storage.db import create_engine
from authshift.storage.tables import passwords
from tests.e2e.test_firebase_projects_sign_in import A_CONSOLE_BLOCK, A_SIGNER_KEY, A_USERS
from tests.exports.conftest import cli, fresh_env, read_ndjson
from tests.oidc.helpers import REDIRECT_URI
from tests.readiness.helpers import signs_in
from tests.support.servers import LiveServer

PASSWORD = "user1password"  # github.com/firebase/scrypt's README vector (project A's parameters)
NAMED = "user1@project-a.example"
INLINE = "inline@project-a.example"
INLINE_RECORD = {
    "email": INLINE, "email_verified": True,
    "password": {"algorithm": "firebase_scrypt", "hash": A_USERS["users"][0]["passwordHash"],
                 "salt": A_USERS["users"][0]["salt"],
                 "hash_config": {"base64_signer_key": A_SIGNER_KEY, "base64_salt_separator": "Bw==",
                                 "rounds": 8, "mem_cost": 14}},
}
SIGNER_KEY_FORMS = (A_SIGNER_KEY, base64.b64decode(A_SIGNER_KEY).hex(), A_SIGNER_KEY.rstrip("="))


def _no_signer_key(text: str, where: str) -> None:
    for form in SIGNER_KEY_FORMS:
        assert form not in text, f"the signer key is in {where}"


async def _at_rest(db_url: str) -> tuple[list[str], list[str]]:
    """The stored password values and the stored (encrypted) signer keys."""
    engine = create_engine(db_url)
    try:
        async with engine.connect() as conn:
            values = (await conn.execute(sa.select(passwords.c.value))).scalars().all()
            keys = (await conn.execute(sa.select(password_hash_configs.c.signer_key_encrypted))).scalars().all()
    finally:
        await engine.dispose()
    return list(values), list(keys)


async def _signs_in(server: LiveServer, client_id: str, email: str, password: str) -> bool:
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
        return await signs_in(http, client_id, email, password)


async def test_firebase_users_move_to_a_fresh_authshift_and_sign_in(
    settings_env: dict[str, str], db_url: str, fresh_db_url: str, tmp_path: Path,
) -> None:
    printed = []
    (tmp_path / "a-users.json").write_text(json.dumps(A_USERS))
    (tmp_path / "a-hash-config.txt").write_text(A_CONSOLE_BLOCK)
    (tmp_path / "inline.ndjson").write_text(json.dumps(INLINE_RECORD) + "\n")
    for args in (["a-users.json", "--format", "firebase", "--hash-config", "a-hash-config.txt",
                  "--hash-config-name", "project-a", "--identifier", "external_id"],
                 ["inline.ndjson"]):
        done = await cli(["import", *args, "--report", "report.ndjson"], settings_env, cwd=tmp_path)
        assert done.returncode == 0, done.stdout + done.stderr
        printed.append(done.stdout + done.stderr + (tmp_path / "report.ndjson").read_text())
        (outcome,) = [json.loads(line) for line in (tmp_path / "report.ndjson").read_text().splitlines()]
        assert (outcome["outcome"], outcome["readiness"]) == ("inserted", "ready"), outcome

    # at rest: no password row holds the signer key; it is kept once per parameters, encrypted
    values, keys = await _at_rest(db_url)
    assert len(values) == 2 and len(keys) == 2  # "project-a", and the inline parameters under their own name
    _no_signer_key("".join(values), "a password row")
    assert all(k.startswith("v1:") for k in keys) and not [k for k in keys if A_SIGNER_KEY in k]
    assert {json.loads(v)["hash_config"] for v in values} >= {"project-a"}

    # without --include-secrets: no signer key leaves, and the summary says what such users need
    plain = await cli(["export", "plain.ndjson"], settings_env, cwd=tmp_path)
    assert plain.returncode == 0, plain.stderr
    _no_signer_key((tmp_path / "plain.ndjson").read_text(), "an export without --include-secrets")
    assert "2 password hashes left out" in plain.stderr and "lazy" in plain.stderr and "reset" in plain.stderr
    assert "2 of them Firebase hashes" in plain.stderr and "--hash-config" in plain.stderr, plain.stderr
    printed.append(plain.stdout + plain.stderr)

    # with it: each Firebase password carries its parameters inline (not a name the next instance lacks)
    full = await cli(["export", "full.ndjson", "--include-secrets"], settings_env, cwd=tmp_path)
    assert full.returncode == 0, full.stderr
    printed.append(full.stdout + full.stderr)
    exported = {r["email"]: r for r in read_ndjson(tmp_path / "full.ndjson")}
    for email in (NAMED, INLINE):
        config = exported[email]["password"]["hash_config"]
        assert config["base64_signer_key"] == A_SIGNER_KEY, (email, config)
        assert (config["base64_salt_separator"], config["rounds"], config["mem_cost"]) == ("Bw==", 8, 14)
    # the records the database composes (above) and the ones built in Python (--fields) agree
    fields = await cli(["export", "fields.ndjson", "--include-secrets", "--fields", "email,password"],
                       settings_env, cwd=tmp_path)
    assert fields.returncode == 0, fields.stderr
    assert {r["email"]: r["password"] for r in read_ndjson(tmp_path / "fields.ndjson")} == {
        e: r["password"] for e, r in exported.items()}

    # a fresh authshift (its own database and keys) imports the export: ready, and they sign in
    env = fresh_env(fresh_db_url, tmp_path)
    assert (await cli(["db", "upgrade"], env)).returncode == 0
    moved = await cli(["import", "full.ndjson", "--report", "moved.ndjson"], env, cwd=tmp_path)
    assert moved.returncode == 0, moved.stdout + moved.stderr
    printed.append(moved.stdout + moved.stderr + (tmp_path / "moved.ndjson").read_text())
    outcomes = [json.loads(line) for line in (tmp_path / "moved.ndjson").read_text().splitlines()]
    assert [(o["outcome"], o["readiness"]) for o in outcomes] == [("inserted", "ready")] * 2, outcomes
    values, keys = await _at_rest(fresh_db_url)
    _no_signer_key("".join(values), "a password row of the fresh instance")
    assert len(keys) == 1 and keys[0].startswith("v1:")  # equal parameters: kept once

    made = await cli(["clients", "create", "--name", "moved", "--redirect-uri", REDIRECT_URI, "--public"], env)
    client_id = json.loads(made.stdout)["client_id"]
    server = LiveServer(env, tmp_path)
    server.start()
    try:
        for email in (NAMED, INLINE):
            assert not await _signs_in(server, client_id, email, PASSWORD + "x"), email
            assert await _signs_in(server, client_id, email, PASSWORD), f"{email} cannot sign in after the move"
    finally:
        server.stop()
    _no_signer_key(server.log_path.read_text(errors="replace") + "".join(printed), "the output or a log")
