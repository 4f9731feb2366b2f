"""Encrypted output decrypts with the recipient's identity; every export is in the audit log."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyrage
import sqlalchemy as sa
from pyrage import x25519

from authshift.storage.tables import audit_log
from tests.exports.conftest import cli
from tests.exports.population import TOTP_SECRET, Member


def _decrypt(path: Path, identity: x25519.Identity) -> bytes:
    return pyrage.decrypt(path.read_bytes(), [identity])


async def _audit_rows(state: Any) -> list[Any]:
    async with state.engine.connect() as conn:
        return list(await conn.execute(sa.select(audit_log).order_by(audit_log.c.at)))


async def test_encrypted_export_decrypts_to_the_plain_export(app: Any, population: list[Member], settings_env: dict[str, str],
                                                            tmp_path: Path) -> None:
    alice, bob = x25519.Identity.generate(), x25519.Identity.generate()
    plain, sealed = tmp_path / "plain.ndjson", tmp_path / "sealed.ndjson.age"
    assert (await cli(["export", str(plain), "--include-secrets"], settings_env)).returncode == 0
    recipients = tmp_path / "recipients.txt"
    recipients.write_text(f"# backup key\n{bob.to_public()}\n\n")
    result = await cli(["export", str(sealed), "--include-secrets", "--encrypt-to", str(alice.to_public()),
                      "--recipient-file", str(recipients)], settings_env)
    assert result.returncode == 0, result.stderr
    raw = sealed.read_bytes()
    assert raw.startswith(b"age-encryption.org/v1") and TOTP_SECRET.encode() not in raw and b"$argon2id$" not in raw
    assert _decrypt(sealed, alice) == _decrypt(sealed, bob) == plain.read_bytes()
    stranger = x25519.Identity.generate()
    try:
        _decrypt(sealed, stranger)
        raise AssertionError("a stranger decrypted the export")
    except pyrage.DecryptError:
        pass
    assert (sealed.stat().st_mode & 0o777) == 0o600


async def test_every_export_is_audited_without_secrets(app: Any, population: list[Member], settings_env: dict[str, str],
                                                      tmp_path: Path) -> None:
    key = x25519.Identity.generate().to_public()
    result = await cli(["export", str(tmp_path / "s.ndjson.age"), "--include-secrets", "--filter", "role=admin",
                      "--encrypt-to", str(key)], settings_env)
    assert result.returncode == 0, result.stderr
    assert (await cli(["export", str(tmp_path / "p.csv"), "--format", "csv"], settings_env)).returncode == 0
    rows = [r for r in await _audit_rows(app.state.authshift) if r.action == "users.export"]
    assert len(rows) == 2
    secret_row, plain_row = rows
    admins = sum(1 for line in (tmp_path / "p.csv").read_text().splitlines()[1:] if '""admin""' in line)
    assert secret_row.actor.startswith("cli")
    assert secret_row.details == {
        "status": "completed", "format": "ndjson", "filters": {"role": "admin"}, "fields": None,
        "include_secrets": True, "encrypted": True, "users": admins, "written": admins,
    }
    assert plain_row.details["include_secrets"] is False and plain_row.details["format"] == "csv"
    dumped = json.dumps([dict(r.details) for r in rows])
    assert "$argon2" not in dumped and TOTP_SECRET not in dumped
