"""redact(): reports and logs show what a record was, never its secrets."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from authshift.migration.formats import get_reader
from authshift.records import REDACTED, parse_record, redact

SAMPLES = Path(__file__).parent / "samples"
BCRYPT = "$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"


def test_native_secrets_are_masked_and_the_rest_is_kept() -> None:
    raw = {
        "email": "a@example.com", "name": "Ann",
        "password": {"algorithm": "pbkdf2-sha256", "hash": "SECRET-HASH", "salt": "SECRET-SALT", "iterations": 27500,
                     "key": "SECRET-KEY", "hash_encoding": "base64", "must_change": True},
        "mfa": {"totp": [{"secret": "SECRETTOTP", "digits": 6}, {"uri": "otpauth://totp/x?secret=SECRETURI"}],
                "recovery_codes": ["SECRET-CODE-1"], "email": "a@example.com"},
        "custom_attributes": {"api_token": "SECRET-TOKEN", "plan": "pro"},
    }
    masked = redact(raw)
    text = json.dumps(masked)
    assert "SECRET" not in text
    assert masked["password"] == {"algorithm": "pbkdf2-sha256", "hash": REDACTED, "salt": REDACTED, "iterations": 27500,
                                  "key": REDACTED, "hash_encoding": "base64", "must_change": True}
    assert masked["mfa"]["totp"][0] == {"secret": REDACTED, "digits": 6}
    assert masked["mfa"]["email"] == "a@example.com"
    assert masked["custom_attributes"] == {"api_token": REDACTED, "plan": "pro"}
    assert raw["password"]["hash"] == "SECRET-HASH"  # the input is not modified


@pytest.mark.parametrize("password", ["plain text SECRET", {"hash": "SECRET"}, {"plaintext": "SECRET", "must_change": True}])
def test_every_password_form_is_masked(password: object) -> None:
    assert "SECRET" not in json.dumps(redact({"password": password}))


def test_parsed_records_are_redacted_too() -> None:
    record = parse_record({"email": "a@example.com", "password": {"hash": BCRYPT},
                           "mfa": {"totp": [{"secret": "JBSWY3DPEHPK3PXP"}]}}).record
    text = json.dumps(redact(record))
    assert BCRYPT not in text and "JBSWY3DPEHPK3PXP" not in text and "a@example.com" in text


def _secrets_of(fmt: str, user: dict[str, Any]) -> list[str]:
    """The secret values a raw user of each format carries."""
    if fmt == "firebase":
        return [user[key] for key in ("passwordHash", "salt") if user.get(key)]
    if fmt == "supabase":
        return [user["encrypted_password"]] if user.get("encrypted_password") else []
    if fmt == "keycloak":
        found = []
        for credential in user.get("credentials", []):
            secret_data = json.loads(credential.get("secretData") or "{}")
            found += [secret_data[key] for key in ("value", "salt") if secret_data.get(key)]
        return found
    chp = user.get("custom_password_hash") or {}
    found = [user.get("password_hash"), chp.get("hash", {}).get("value"), chp.get("salt", {}).get("value"),
             chp.get("hash", {}).get("key", {}).get("value")]
    found += [factor["totp"]["secret"] for factor in user.get("mfa_factors", []) if "totp" in factor]
    return [value for value in found if value]


@pytest.mark.parametrize(
    ("fmt", "sample", "secret_keys"),
    [
        ("firebase", "firebase-users.json", ("passwordHash", "salt")),
        ("keycloak", "keycloak-realm.json", ("credentials",)),
        ("supabase", "supabase-users.json", ("encrypted_password",)),
        ("auth0", "auth0-bulk-import.json", ("password_hash", "custom_password_hash")),
    ],
)
def test_raw_and_mapped_foreign_records_are_redacted(fmt: str, sample: str, secret_keys: tuple[str, ...]) -> None:
    """A report may echo the foreign object of a failed record, or the mapped one: no secret leaks."""
    document = json.loads((SAMPLES / sample).read_text())
    users = document["users"] if isinstance(document, dict) else document
    checked = 0
    for user in users:
        secrets = _secrets_of(fmt, user)
        masked = redact(user)
        for key in secret_keys:
            if user.get(key):
                assert masked[key] != user[key]  # masked (a structured hash keeps its parameters)
        mapped = next(iter(get_reader(fmt)(io.BytesIO(json.dumps([user]).encode()))))
        texts = [json.dumps(masked)] + ([json.dumps(redact(mapped.obj))] if mapped.obj is not None else [])
        for secret in secrets:
            checked += 1
            assert all(secret not in text for text in texts)
    assert checked >= 3
