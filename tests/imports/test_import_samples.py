"""Every foreign format's sample export (tests/migration/samples) imports through the CLI with the
expected outcomes, and the imported password hashes verify with the users' real passwords."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from authshift import passwords
from authshift.storage.db import create_engine
from authshift.storage.tables import identities
from authshift.storage.tables import passwords as passwords_table
from tests.imports.helpers import read_ndjson, summary_counts
from tests.support.servers import arun_cli

SAMPLES = Path(__file__).resolve().parents[1] / "migration" / "samples"

# (file, extra options, expected counts)
RUNS = [
    ("auth0-users.ndjson", ["--format", "auth0", "--auth0-password-hashes", str(SAMPLES / "auth0-password-hashes.ndjson")],
     {"read": 4, "inserted": 4, "failed": 0}),
    ("auth0-bulk-import.json", ["--format", "auth0"], {"read": 6, "inserted": 6, "failed": 0}),
    ("firebase-users.json", ["--format", "firebase", "--identifier", "external_id",
                             "--hash-config", str(SAMPLES / "firebase-hash-config.json")], {"read": 3, "inserted": 3, "failed": 0}),
    ("firebase-users.csv", ["--format", "firebase", "--identifier", "external_id", "--dry-run",
                            "--hash-config", str(SAMPLES / "firebase-hash-config.json")], {"read": 3, "skipped": 3}),
    ("django-users.json", ["--format", "django", "--identifier", "preferred_username"], {"read": 5, "inserted": 5}),
    ("keycloak-realm.json", ["--format", "keycloak"], {"read": 4, "inserted": 3, "failed": 1}),  # a service account
    ("cognito-users.csv", ["--format", "cognito"], {"read": 3, "inserted": 3}),
    ("supabase-users.csv", ["--format", "supabase"], {"read": 4, "inserted": 3, "failed": 1}),  # soft-deleted
    ("supabase-users.json", ["--format", "supabase", "--dry-run"], {"read": 4, "skipped": 3, "failed": 1}),
]

# login ID -> password, from tests/migration/samples/README.md
PASSWORDS = {
    "alice@example.com": "Alice-auth0-1!", "carol@example.com": "Carol-auth0-3!", "erin@example.org": "Erin-bcrypt-5",
    "frank@example.org": "Frank-sha256-6", "grace@example.org": "Grace-hmac-7", "heidi@example.org": "Heidi-pbkdf2-8",
    "ivan@example.org": "Ivan-argon2-9", "judy@example.org": "Judy-md4-10", "ken@example.net": "Ken-firebase-11", "lena@example.net": "Léna-firebase-12",
    "mallory": "Mallory-pbkdf2-13", "niaj": "Niaj-argon2-14", "olivia": "Olivia-bcrypt-15", "peggy": "Peggy-md5-16",
    "quentin": "Quentin-kc-17", "rupert": "Rupert-kc-18", "sybil": "Sybil-kc-19", "trent@example.dev": "Trent-supabase-20",
    "uma@example.dev": "Uma-supabase-21",
}


async def test_every_sample_format_imports_and_its_hashes_verify(settings_env: dict[str, str], tmp_path: Path) -> None:
    for name, options, expected in RUNS:
        report = tmp_path / f"{name}.report.ndjson"
        result = await arun_cli(["import", str(SAMPLES / name), "--report", str(report), *options], settings_env, cwd=tmp_path)
        assert result.returncode == 0, f"{name}: {result.stdout}{result.stderr}"
        counts = summary_counts(result.stdout)
        if "--dry-run" in options:  # a dry run counts what would happen: would_insert, would_skip, ...
            assert "inserted" not in counts and "would_insert" in counts
            counts = {k.replace("would_insert", "inserted").replace("would_update", "updated")
                      .replace("would_skip", "skipped"): v for k, v in counts.items()}
        assert {k: counts[k] for k in expected} == expected, f"{name}: {result.stdout}"
        assert sum(counts[k] for k in ("inserted", "updated", "skipped", "failed")) == counts["read"]
        outcomes = read_ndjson(report)
        assert len(outcomes) == counts["read"]
        for outcome in outcomes:
            if outcome["outcome"] == "failed":
                assert outcome["errors"] and all(e["message"] for e in outcome["errors"]), outcome
    configs = passwords.load_hash_configs(SAMPLES / "firebase-hash-config.json")
    engine = create_engine(settings_env["AUTHSHIFT_DATABASE_URL"])
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(
                sa.select(identities.c.value, passwords_table.c.format, passwords_table.c.value)
                .join(passwords_table, passwords_table.c.user_id == identities.c.user_id)
            )).all()
    finally:
        await engine.dispose()
    stored = {login: passwords.StoredPassword(fmt, value) for login, fmt, value in rows}
    verified = set()
    for login, password in PASSWORDS.items():
        if login in stored:
            assert passwords.verify(password, stored[login], hash_configs=configs).ok, login
            assert not passwords.verify(password + "x", stored[login], hash_configs=configs).ok, login
            verified.add(login)
    # every sample user with a usable hash was imported with it (by email or by username)
    assert verified == set(PASSWORDS)
