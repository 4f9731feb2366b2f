"""Public keys in other systems' forms become COSE keys py_webauthn verifies signatures with (and
back, for writers); FusionAuth's password schemes and TOTP secrets verify with the real libraries.
The browser tests (test_fusionauth_passkeys.py, test_auth0_passkeys.py) sign in end to end."""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import os
from pathlib import Path

import bcrypt
import pyotp
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from webauthn.helpers import decode_credential_public_key, decoded_public_key_to_cryptography
from webauthn.helpers.cose import COSEAlgorithmIdentifier
from webauthn.helpers.verify_signature import verify_signature

from authshift import passwords
from authshift.migration.formats import SourceOptions, get_reader
from authshift.migration.formats._webauthn_keys import KeyUnusable, cose_key, spki_pem

PASSWORD = "correct horse battery"


def verify(cose: bytes, signature: bytes, data: bytes) -> None:
    """py_webauthn verifies the signature with the key (raises InvalidSignature otherwise)."""
    decoded = decode_credential_public_key(cose)
    verify_signature(public_key=decoded_public_key_to_cryptography(decoded),
                     signature_alg=COSEAlgorithmIdentifier(decoded.alg), signature=signature, data=data)


def pem(key: object) -> str:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()  # type: ignore[attr-defined]


@pytest.mark.parametrize("algorithm", [-257, "RS256", -37])
def test_an_rsa_pem_key_becomes_a_cose_key_that_verifies_its_signatures(algorithm: object) -> None:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cose = cose_key(pem(private.public_key()), algorithm)
    data = b"authenticatorData||clientDataHash"
    if algorithm == -37:
        signature = private.sign(data, padding.PSS(padding.MGF1(hashes.SHA256()), padding.PSS.MAX_LENGTH), hashes.SHA256())
    else:
        signature = private.sign(data, padding.PKCS1v15(), hashes.SHA256())
    verify(cose, signature, data)
    assert cose_key(spki_pem(cose)[0], spki_pem(cose)[1]) == cose


def test_ec_and_ed25519_keys_in_pem_and_der_become_cose_keys() -> None:
    p256 = ec.generate_private_key(ec.SECP256R1())
    data = b"signed"
    cose = cose_key(pem(p256.public_key()), -7)
    verify(cose, p256.sign(data, ec.ECDSA(hashes.SHA256())), data)
    der = p256.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert cose_key(base64.b64encode(der).decode()) == cose  # base64 DER, the algorithm from the curve
    assert cose_key(base64.urlsafe_b64encode(cose).decode()) == cose  # a COSE key stays as it is
    edkey = ed25519.Ed25519PrivateKey.generate()
    ed_cose = cose_key(pem(edkey.public_key()))
    verify(ed_cose, edkey.sign(data), data)
    assert spki_pem(ed_cose)[1] == -8


@pytest.mark.parametrize(("key", "algorithm", "reason"), [
    (lambda: ec.generate_private_key(ec.SECP256R1()).public_key(), -257, "does not fit"),
    (lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key(), -7, "does not fit an RSA key"),
    (lambda: ec.generate_private_key(ec.SECP384R1()).public_key(), -35, "authshift verifies passkeys with"),
    (lambda: ec.generate_private_key(ec.SECP256K1()).public_key(), None, "not one WebAuthn uses"),
])
def test_keys_that_could_never_verify_are_refused_with_the_reason(key: object, algorithm: object, reason: str) -> None:
    with pytest.raises(KeyUnusable, match=reason):
        cose_key(pem(key()), algorithm)  # type: ignore[operator]
    with pytest.raises(KeyUnusable, match="neither PEM"):
        cose_key("not a key at all")


def read_fusionauth(users: list[dict[str, object]], tmp_path: Path, credentials: list[dict[str, object]] | None = None):  # type: ignore[no-untyped-def]
    options = SourceOptions()
    if credentials is not None:
        path = tmp_path / "webauthn.json"
        path.write_text(json.dumps({"credentials": credentials}, indent=2))
        options = SourceOptions(webauthn_credentials=path)
    return list(get_reader("fusionauth")(io.BytesIO(json.dumps({"users": users}, indent=2).encode()), options=options))


def verifies(item) -> bool:  # type: ignore[no-untyped-def]
    stored = passwords.parse(item.parse().record.password.passwords_object())
    return passwords.verify(PASSWORD, stored).ok and not passwords.verify("wrong", stored).ok


def test_fusionauth_password_schemes_verify_and_plain_text_is_refused(tmp_path: Path) -> None:
    salt = os.urandom(16)
    b64 = lambda raw: base64.b64encode(raw).decode()  # noqa: E731
    hashed = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(5)).decode()
    items = read_fusionauth([
        {"email": "p256@example.com", "encryptionScheme": "salted-pbkdf2-hmac-sha256", "factor": "1000", "salt": b64(salt),
         "password": b64(hashlib.pbkdf2_hmac("sha256", PASSWORD.encode(), salt, 1000, 32))},
        {"email": "p512@example.com", "encryptionScheme": "salted-pbkdf2-hmac-sha256-512", "factor": 900, "salt": b64(salt),
         "password": b64(hashlib.pbkdf2_hmac("sha256", PASSWORD.encode(), salt, 900, 64))},
        {"email": "s512@example.com", "encryptionScheme": "salted-pbkdf2-hmac-sha512-512", "factor": 800, "salt": b64(salt),
         "password": b64(hashlib.pbkdf2_hmac("sha512", PASSWORD.encode(), salt, 800, 64))},
        {"email": "bcrypt@example.com", "encryptionScheme": "bcrypt", "factor": 5, "salt": hashed[7:29], "password": hashed[29:]},
        {"email": "hmac@example.com", "encryptionScheme": "salted-hmac-sha256", "salt": b64(salt),
         "password": b64(hmac.new(salt, PASSWORD.encode(), hashlib.sha256).digest())},
        {"email": "plain@example.com", "password": PASSWORD},
        {"email": "md5@example.com", "encryptionScheme": "salted-md5", "factor": 1, "salt": b64(salt), "password": "x"},
    ], tmp_path)
    assert [verifies(i) for i in items[:5]] == [True] * 5
    assert "plain text" in items[5].errors[0].message and PASSWORD not in repr(items[5].errors)
    assert "'salted-md5' is not supported" in items[6].errors[0].message


def test_fusionauth_totp_recovery_codes_and_profile(tmp_path: Path) -> None:
    secret = os.urandom(20)
    (item,) = read_fusionauth([{
        "id": "703fe2d2-2d39-4cb7-b76d-0b9918ed2457", "email": "mfa@example.com", "active": False, "verified": True,
        "registrations": [{"applicationId": "a", "roles": ["admin", "user"]}, {"applicationId": "b", "roles": ["user"]}],
        "preferredLanguages": ["en_GB"], "insertInstant": 1668011701792,
        "twoFactor": {"methods": [{"method": "authenticator", "secret": base64.b64encode(secret).decode(),
                                   "authenticator": {"algorithm": "HmacSHA1", "codeLength": 6, "timeStep": 30}},
                                  {"method": "sms", "mobilePhone": "+14155550100"}],
                      "recoveryCodes": ["QJGV5-WDXCB"]},
    }], tmp_path)
    record = item.parse().record
    assert record.disabled is True and record.email_verified is True and record.roles == ["admin", "user"]
    assert record.locale == "en-GB" and record.external_id == "703fe2d2-2d39-4cb7-b76d-0b9918ed2457"
    (totp,) = record.mfa.totp  # type: ignore[union-attr]
    expected = pyotp.TOTP(base64.b32encode(secret).decode()).now()
    assert pyotp.TOTP(base64.b32encode(totp.parameters().secret).decode()).now() == expected
    assert record.mfa.phone_number == "+14155550100"  # type: ignore[union-attr]
    assert [c.get_secret_value() for c in record.mfa.recovery_codes] == ["QJGV5-WDXCB"]  # type: ignore[union-attr]


def test_a_fusionauth_credential_that_could_never_sign_in_is_reported_and_the_user_kept(tmp_path: Path) -> None:
    user_id = "703fe2d2-2d39-4cb7-b76d-0b9918ed2457"
    p384 = ec.generate_private_key(ec.SECP384R1()).public_key()
    (item,) = read_fusionauth([{"id": user_id, "email": "keys@example.com"}], tmp_path, [
        {"userId": user_id, "credentialId": "AAEC", "publicKey": pem(p384), "algorithm": -35, "relyingPartyId": "localhost"},
        {"userId": user_id, "credentialId": "AAED", "algorithm": -7, "relyingPartyId": "localhost"},
    ])
    assert item.ok and "mfa" not in item.obj  # type: ignore[operator]
    messages = {w.path: w.message for w in item.warnings}
    assert "authshift verifies passkeys with" in messages["webauthn.credentials[0]"]
    assert "there is no public key" in messages["webauthn.credentials[1]"]
    assert all("must register a new passkey" in m for m in messages.values())


def test_a_record_with_a_key_py_webauthn_cannot_verify_with_fails_with_the_reason() -> None:
    """py_webauthn decodes an ES384 COSE key but implements no ES384 verification: such a passkey
    could never sign in, so the record says so instead of importing it."""
    import cbor2

    from authshift.records import RecordError, parse_record

    numbers = ec.generate_private_key(ec.SECP384R1()).public_key().public_numbers()
    es384 = cbor2.dumps({1: 2, 3: -35, -1: 2, -2: numbers.x.to_bytes(48, "big"), -3: numbers.y.to_bytes(48, "big")})
    entry = {"credential_id": "AAEC", "public_key": base64.urlsafe_b64encode(es384).decode().rstrip("="), "user_handle": "AAEC"}
    with pytest.raises(RecordError) as caught:
        parse_record({"email": "es384@example.com", "mfa": {"webauthn": [entry]}})
    (issue,) = caught.value.issues
    assert issue.path == "mfa.webauthn[0].public_key" and "ES256" in issue.message


def test_a_fusionauth_file_imported_without_format_names_the_format() -> None:
    from authshift.migration.formats import SourceFormatError

    body = json.dumps({"users": [{"email": "x@example.com", "password": "aGFzaA==", "salt": "c2FsdA==",
                                  "factor": 1000, "encryptionScheme": "salted-pbkdf2-hmac-sha256"}]}, indent=1)
    with pytest.raises(SourceFormatError, match="--format fusionauth"):
        list(get_reader("native")(io.BufferedReader(io.BytesIO(body.encode()))))
