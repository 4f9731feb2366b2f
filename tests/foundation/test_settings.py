"""Settings: defaults that work on a bare machine, environment over file, secrets generated once."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from authshift.config import load_settings
from authshift.security.instance_secrets import load_instance_secrets
from authshift.security.secretbox import DecryptionError, SecretBox


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key in [k for k in os.environ if k.startswith("AUTHSHIFT_")]:
        monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)


def test_defaults_need_nothing_installed() -> None:
    s = load_settings()
    assert s.database_url == "sqlite+aiosqlite:///./authshift.db"
    assert s.public_issuer == "http://127.0.0.1:8000"
    assert load_settings(port=9001).public_issuer == "http://127.0.0.1:9001"


def test_environment_wins_over_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "a.toml"
    cfg.write_text('issuer = "https://file.example/"\nport = 9000\n[passwords]\nbcrypt_max_cost = 12\n'
                   '[[migration.cohorts]]\nemail_domains = ["eu.example"]\naction = "migrate"\n')
    monkeypatch.setenv("AUTHSHIFT_ISSUER", "https://env.example")
    monkeypatch.setenv("AUTHSHIFT_DATABASE_URL", "postgresql://u@db/x")
    s = load_settings(cfg)
    assert s.public_issuer == "https://env.example" and s.port == 9000
    assert s.passwords.bcrypt_max_cost == 12
    assert s.migration.cohorts[0].email_domains == ["eu.example"]
    assert s.database_url == "postgresql+asyncpg://u@db/x"
    monkeypatch.setenv("AUTHSHIFT_CONFIG", str(cfg))
    assert load_settings().port == 9000


def test_secrets_generated_once_private_and_never_in_repr(tmp_path: Path) -> None:
    s = load_settings()
    first = load_instance_secrets(s)
    path = tmp_path / "authshift.secrets.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_instance_secrets(s) == first
    assert set(json.loads(path.read_text())) == {"secret_key", "encryption_key"}
    assert "redacted" in repr(first) and json.loads(path.read_text())["secret_key"] not in repr(s)


def test_given_secrets_are_used_and_too_short_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AUTHSHIFT_SECRET_KEY", "k" * 40)
    monkeypatch.setenv("AUTHSHIFT_ENCRYPTION_KEY", "e" * 40)
    secrets = load_instance_secrets(load_settings())
    assert not (tmp_path / "authshift.secrets.json").exists()
    assert secrets.secret_key == b"k" * 40
    monkeypatch.setenv("AUTHSHIFT_ENCRYPTION_KEY", "short")
    with pytest.raises(ValueError, match="at least 32 bytes"):
        load_instance_secrets(load_settings())


def test_secretbox_round_trip_and_purpose_binding() -> None:
    box = SecretBox(b"x" * 32, "totp")
    token = box.encrypt(b"JBSWY3DPEHPK3PXP")
    assert box.decrypt(token) == b"JBSWY3DPEHPK3PXP" and b"JBSW" not in token.encode()
    with pytest.raises(DecryptionError):
        SecretBox(b"x" * 32, "signing-keys").decrypt(token)
    with pytest.raises(DecryptionError):
        SecretBox(b"y" * 32, "totp").decrypt(token)
