"""Two Firebase projects imported into one authshift: each project's users sign in through the
hosted login of a real ``authshift serve`` with their own project's hash parameters, which the
import kept in the database (signer key encrypted, never printed or logged).

Project A is the published vector of github.com/firebase/scrypt (README: "user1password");
project B is the sample export of tests/migration/samples (hashes made with Firebase's
algorithm from hashlib's scrypt and AES-CTR, see make_samples.py).
"""

from __future__ import annotations

import base64
import json
import urllib.parse
from pathlib import Path

import httpx
import sqlalchemy as sa

from authshift.accounts.hash_config_store import password_hash_configs
from authshift.storage.db import create_engine
from authshift.storage.tables import identities, passwords
from tests.imports.helpers import summary_counts
from tests.oidc.helpers import REDIRECT_URI, pkce_pair, query_of, sign_in
from tests.support.servers import LiveServer, arun_cli

SAMPLES = Path(__file__).resolve().parents[1] / "migration" / "samples"
A_SIGNER_KEY = "jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA=="
# the block as the Firebase console shows it (Authentication, Users, "Password hash parameters")
A_CONSOLE_BLOCK = f"""hash_config {{
  algorithm: SCRYPT,
  base64_signer_key: {A_SIGNER_KEY},
  base64_salt_separator: Bw==,
  rounds: 8,
  mem_cost: 14,
}}
"""
A_USERS = {"users": [{
    "localId": "project-a-user-1", "email": "user1@project-a.example", "emailVerified": True,
    "passwordHash": "lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ==",
    "salt": "42xEC+ixf3L2lw==", "createdAt": "1600000000000",
}]}
B_CONFIG = SAMPLES / "firebase-hash-config.json"
B_SIGNER_KEY = json.loads(B_CONFIG.read_text())["base64_signer_key"]
SIGN_INS = {"user1@project-a.example": "user1password", "ken@example.net": "Ken-firebase-11",
            "lena@example.net": "Léna-firebase-12"}


async def _stored(db_url: str) -> tuple[dict[str, tuple[str, str]], list[dict]]:
    engine = create_engine(db_url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                sa.select(identities.c.value, passwords.c.format, passwords.c.value)
                .join(passwords, passwords.c.user_id == identities.c.user_id).where(identities.c.kind == "email"))
            configs = (await conn.execute(sa.select(password_hash_configs))).mappings().all()
            return {r.value: (r.format, r[2]) for r in rows}, [dict(c) for c in configs]
    finally:
        await engine.dispose()


async def test_users_of_two_firebase_projects_each_sign_in_with_their_own_parameters(
    settings_env: dict[str, str], tmp_path: Path, db_url: str
) -> None:
    (tmp_path / "a-users.json").write_text(json.dumps(A_USERS))
    (tmp_path / "a-hash-config.txt").write_text(A_CONSOLE_BLOCK)
    outputs = []
    for users, config, name in ((tmp_path / "a-users.json", tmp_path / "a-hash-config.txt", "project-a"),
                                (SAMPLES / "firebase-users.json", B_CONFIG, "project-b")):
        done = await arun_cli(["import", str(users), "--format", "firebase", "--hash-config", str(config),
                        "--hash-config-name", name, "--identifier", "external_id",
                        "--report", str(tmp_path / f"{name}.ndjson")], settings_env)
        assert done.returncode == 0, done.stdout + done.stderr
        outputs.append(done.stdout + done.stderr)
        counts = summary_counts(done.stdout)
        assert counts["failed"] == 0 and counts["inserted"] == (1 if name == "project-a" else 3), done.stdout

    # The same name cannot be given other parameters: its users would stop verifying.
    clash = await arun_cli(["import", str(SAMPLES / "firebase-users.json"), "--format", "firebase", "--hash-config",
                     str(B_CONFIG), "--hash-config-name", "project-a", "--mode", "upsert",
                     "--identifier", "external_id"], settings_env, cwd=tmp_path)
    assert clash.returncode != 0 and "project-a" in clash.stderr and "--hash-config-name" in clash.stderr, clash.stderr
    outputs.append(clash.stdout + clash.stderr)

    stored, configs = await _stored(db_url)
    assert {c["name"] for c in configs} == {"project-a", "project-b"}
    for config, key in zip(sorted(configs, key=lambda c: c["name"]), (A_SIGNER_KEY, B_SIGNER_KEY), strict=True):
        raw = base64.b64decode(key)
        assert config["signer_key_encrypted"].startswith("v1:"), "encrypted with the instance's key"
        assert key not in config["signer_key_encrypted"] and raw.hex() not in config["signer_key_encrypted"]
    for email in SIGN_INS:
        fmt, value = stored[email]
        assert fmt == "firebase_scrypt" and json.loads(value)["hash_config"] == (
            "project-a" if email.endswith("project-a.example") else "project-b")
        assert A_SIGNER_KEY not in value and B_SIGNER_KEY not in value

    made = await arun_cli(["clients", "create", "--name", "fb", "--redirect-uri", REDIRECT_URI, "--public"], settings_env)
    client_id = json.loads(made.stdout)["client_id"]
    server = LiveServer(settings_env, tmp_path)
    server.start()
    try:
        for email, password in SIGN_INS.items():
            async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
                verifier, challenge = pkce_pair()
                authorize = "/oauth2/authorize?" + urllib.parse.urlencode({
                    "response_type": "code", "client_id": client_id, "redirect_uri": REDIRECT_URI,
                    "scope": "openid email", "state": "s", "code_challenge": challenge, "code_challenge_method": "S256",
                })
                landed = await sign_in(http, server.url + authorize, email, password)
                params = query_of(landed)
                assert "code" in params, (email, landed)
                tokens = await http.post("/oauth2/token", data={
                    "grant_type": "authorization_code", "code": params["code"], "redirect_uri": REDIRECT_URI,
                    "client_id": client_id, "code_verifier": verifier,
                })
                assert tokens.status_code == 200, (email, tokens.text)
    finally:
        server.stop()
    after, _ = await _stored(db_url)
    assert {email: after[email][0] for email in SIGN_INS} == dict.fromkeys(SIGN_INS, "argon2id")
    logged = server.log_path.read_text(errors="replace") + "".join(outputs)
    assert A_SIGNER_KEY not in logged and B_SIGNER_KEY not in logged
