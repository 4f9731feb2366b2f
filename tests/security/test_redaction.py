"""One redaction rule for logs, the audit log, import reports and error bodies.

Every secret-bearing field of every import format (native, Auth0 with its password-hash export,
Firebase with its hash parameters, Cognito, Keycloak, Supabase, Django) and the API's own secrets
go through each of the four outputs; no secret value may come out, and the non-secret values
next to them must (so the check can fail).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from authshift.audit import audit_row
from authshift.errors import InvalidInput
from authshift.logs import configure_logging, get_logger
from authshift.records import redact as report_redact

_counter = iter(range(1, 10_000))


def S() -> str:  # noqa: N802 - reads as a marker in the fixtures below
    """A distinct secret value."""
    return f"S3CRET-{next(_counter):04d}"


def _keycloak_secret_data() -> str:
    return json.dumps({"value": S(), "salt": S(), "additionalParameters": {}})


# format -> a raw object as that system exports it, every secret field filled with S()
FORMATS: dict[str, dict[str, Any]] = {
    "native": {
        "email": "KEEP@example.com",
        "password": {"algorithm": "pbkdf2-sha256", "hash": S(), "salt": S(), "key": S(), "iterations": 27500},
        "mfa": {"totp": [{"secret": S(), "digits": 6}, {"uri": f"otpauth://totp/x?secret={S()}"}],
                "recovery_codes": [S(), S()]},
        "custom_attributes": {"api_token": S(), "plan": "KEEP-plan"},
    },
    "native-plaintext": {"email": "KEEP@example.com", "password": {"plaintext": S(), "must_change": True}},
    "native-string-password": {"email": "KEEP@example.com", "password": S()},
    "auth0": {
        "email": "KEEP@example.com", "password_hash": S(),
        "custom_password_hash": {"algorithm": "pbkdf2", "hash": {"value": S(), "encoding": "base64"},
                                 "salt": {"value": S(), "position": "prefix"}, "key": {"value": S()}},
        "mfa_factors": [{"totp": {"secret": S()}}],
    },
    "auth0-password-hashes": {"_id": {"$oid": "KEEP-oid"}, "email": "KEEP@example.com", "passwordHash": S()},
    "firebase": {"localId": "KEEP-id", "email": "KEEP@example.com", "passwordHash": S(), "salt": S()},
    "firebase-hash-config": {"name": "KEEP-config", "algorithm": "SCRYPT", "base64_signer_key": S(), "base64_salt_separator": S(),
                             "signer_key": S(), "salt_separator": S(), "signerKey": S(), "saltSeparator": S(),
                             "rounds": 8, "mem_cost": 14},
    "cognito": {"cognito:username": "KEEP-user", "email": "KEEP@example.com", "custom:api_key": S()},
    "keycloak": {
        "username": "KEEP-user",
        "credentials": [{"type": "password", "secretData": _keycloak_secret_data(),
                         "credentialData": json.dumps({"hashIterations": 27500, "algorithm": "pbkdf2-sha256"})},
                        {"type": "otp", "secretData": json.dumps({"value": S()})}],
    },
    "supabase": {"id": "KEEP-id", "email": "KEEP@example.com", "encrypted_password": S(),
                 "confirmation_token": S(), "recovery_token": S(), "email_change_token_new": S(),
                 "reauthentication_token": S()},
    "django": {"model": "auth.user", "pk": 1, "fields": {"username": "KEEP-user", "password": S()}},
    "api": {"client_id": "KEEP-client", "client_secret": S(), "webhook_secret": S(), "access_token": S(),
            "refresh_token": S(), "id_token": S(), "code": S(), "code_verifier": S(), "plaintext": S(),
            "authorization": f"Bearer {S()}", "cookie": S(), "encryption_key": S()},
}


def _secrets(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [s for value in node.values() for s in _secrets(value)]
    if isinstance(node, list):
        return [s for item in node for s in _secrets(item)]
    if isinstance(node, str) and "S3CRET-" in node:
        return [node[node.index("S3CRET-"):][:11]]
    return []


def _kept(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [s for value in node.values() for s in _kept(value)]
    if isinstance(node, list):
        return [s for item in node for s in _kept(item)]
    return [node] if isinstance(node, str) and node.startswith("KEEP") else []


def _through_logs(raw: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> str:
    configure_logging("info", "json")
    capsys.readouterr()
    get_logger("tests").info("a record", record=raw, **{f"top_{k}" if k == "event" else k: v for k, v in raw.items()})
    return capsys.readouterr().err


OUTPUTS: dict[str, Callable[[dict[str, Any], Any], str]] = {
    "logs": _through_logs,
    "audit": lambda raw, _: json.dumps(audit_row(actor="tests", action="x", details={"record": raw, **raw})["details"]),
    "reports": lambda raw, _: json.dumps(report_redact(raw)),
    "errors": lambda raw, _: json.dumps(InvalidInput("bad record", record=raw, **raw).problem()),
}


@pytest.mark.parametrize("output", sorted(OUTPUTS))
@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_no_secret_of_any_format_comes_out(fmt: str, output: str, capsys: pytest.CaptureFixture[str]) -> None:
    raw = FORMATS[fmt]
    secrets, kept = _secrets(raw), _kept(raw)
    assert secrets and kept
    text = OUTPUTS[output](raw, capsys)
    leaked = [secret for secret in secrets if secret in text]
    assert not leaked, f"{output} shows {fmt} secrets: {text}"
    assert all(value in text for value in kept), text


def test_structured_hashes_keep_their_parameters_visible() -> None:
    masked = report_redact(FORMATS["native"])
    assert masked["password"] == {"algorithm": "pbkdf2-sha256", "hash": "[redacted]", "salt": "[redacted]",
                                  "key": "[redacted]", "iterations": 27500}
    assert masked["mfa"]["totp"][0] == {"secret": "[redacted]", "digits": 6}
    assert masked["mfa"]["recovery_codes"] == ["[redacted]", "[redacted]"]
    config = report_redact(FORMATS["firebase-hash-config"])
    assert (config["rounds"], config["mem_cost"], config["algorithm"]) == (8, 14, "SCRYPT")


def test_identifiers_stay_visible_and_session_ids_do_not() -> None:
    masked = report_redact({"key_id": "k1", "refresh_token_id": "r1", "kid": "k2", "admin_key_id": "a1",
                            "session_id": "S3CRET-sid", "include_secrets": True, "client_secret": "S3CRET-cs"})
    assert masked == {"key_id": "k1", "refresh_token_id": "r1", "kid": "k2", "admin_key_id": "a1",
                      "session_id": "[redacted]", "include_secrets": True, "client_secret": "[redacted]"}


def test_the_old_rules_are_gone() -> None:
    import authshift.logs as logs
    import authshift.records as records

    assert not hasattr(logs, "SECRET_KEYS") and not hasattr(logs, "redact_value")
    assert not any(hasattr(records, name) for name in ("_SECRET_NAMES", "_SECRET_SUFFIXES", "_is_secret_key"))
