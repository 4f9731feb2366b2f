"""The TOML examples of docs/configuration.md's account-page sections load as real settings."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from authshift.accounts.password_policy import PasswordPolicy
from authshift.config import load_settings

DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"
SECTIONS = ["password_policy", "password_reset", "smtp", "migration.legacy.signup_url"]


def example(section: str) -> str:
    text = DOC.read_text()
    body = text.split(f"\n## {section}\n", 1)[1].split("\n## ", 1)[0]
    found = re.search(r"```toml\n(.*?)```", body, re.S)
    assert found, f"no TOML example under ## {section}"
    return found.group(1)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in [k for k in os.environ if k.startswith("AUTHSHIFT_")]:
        monkeypatch.delenv(key)


def test_every_example_loads(tmp_path: Path) -> None:
    leaked = Path("/etc/authshift/our-leaked-passwords.txt")
    for section in SECTIONS:
        path = tmp_path / f"{section}.toml"
        path.write_text(example(section).replace(str(leaked), str(tmp_path / "leaked.txt")))
        (tmp_path / "leaked.txt").write_text("Winter2024!\n")
        s = load_settings(path)
        if section == "password_policy":
            policy = PasswordPolicy.from_settings(s.password_policy)
            assert policy.problems("short 1") == ["Use at least 12 characters (this one has 7)."]
            assert policy.problems("no digits in here") == ["Include a digit."]
            assert policy.min_length == 12 and "winter2024!" in policy.common_passwords
        elif section == "password_reset":
            assert s.password_reset.token_ttl_minutes == 15
        elif section == "smtp":
            assert s.smtp.enabled and s.smtp.port == 587 and s.smtp.from_address.endswith("<accounts@example.com>")
        else:
            assert s.migration.new_signups == "legacy"
            assert s.migration.legacy.signup_url == "https://old.example.com/register"


def test_smtp_host_without_sender_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('[smtp]\nhost = "smtp.example.com"\n')
    with pytest.raises(ValueError, match="smtp.from_address is required when smtp.host is set"):
        load_settings(path)
