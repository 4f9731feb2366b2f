"""``mfa.webauthn`` and ``mfa.recovery_code_hashes`` in the record: what is accepted, what is refused
(with the path and a reason), and what reports never show."""

from __future__ import annotations

import pytest

from authshift.accounts.passkey_rows import refused_passkeys
from authshift.records import RecordError, parse_record, record_to_json, redact
from tests.passkeys.keys import MadePasskey, b64url


def test_a_passkey_round_trips_through_the_record() -> None:
    entry = MadePasskey.make("example.com").import_entry(sign_count=3, rp_id="Example.COM.")
    parsed = parse_record({"email": "a@example.com", "mfa": {"webauthn": [entry]}})
    out = record_to_json(parsed.record)["mfa"]["webauthn"][0]
    assert out["rp_id"] == "example.com"  # a domain name, compared as browsers compare it
    assert {k: out[k] for k in ("credential_id", "public_key", "user_handle", "sign_count")} == \
        {k: entry[k] for k in ("credential_id", "public_key", "user_handle", "sign_count")}


@pytest.mark.parametrize(("change", "path", "words"), [
    ({"public_key": b64url(b"not a cose key")}, "mfa.webauthn[0].public_key", "not a COSE public key"),
    ({"credential_id": "has spaces!"}, "mfa.webauthn[0].credential_id", "base64url"),
    ({"user_handle": b64url(b"x" * 65)}, "mfa.webauthn[0].user_handle", "1 to 64 bytes"),
    ({"sign_count": -1}, "mfa.webauthn[0].sign_count", ""),
    ({"transports": ["carrier-pigeon"]}, "mfa.webauthn[0].transports[0]", ""),
    ({"rp_id": "https://example.com"}, "mfa.webauthn[0].rp_id", "domain name"),
])
def test_bad_passkeys_are_refused_with_their_path(change: dict[str, object], path: str, words: str) -> None:
    entry = {**MadePasskey.make("example.com").import_entry(), **change}
    with pytest.raises(RecordError) as caught:
        parse_record({"email": "a@example.com", "mfa": {"webauthn": [entry]}})
    assert any(i.path == path and words in i.message for i in caught.value.issues), caught.value.issues


def test_only_another_rp_id_is_refused() -> None:
    entries = [{"rp_id": None}, {"rp_id": "example.com"}, {"rp_id": "legacy.example"}]
    (problem,) = refused_passkeys(entries, "example.com")
    assert problem.path == "mfa.webauthn[2].rp_id" and "'legacy.example'" in problem.message


def test_recovery_code_hashes_are_redacted() -> None:
    shown = redact({"mfa": {"recovery_code_hashes": ["$2b$10$abcdefghijklmnopqrstuv"], "recovery_codes": ["x"]}})
    assert "$2b$" not in str(shown)
