"""Second factors in a record (``mfa``): TOTP authenticators, passkeys, email and SMS codes, recovery codes."""

from __future__ import annotations

import base64
import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Discriminator, Field, SecretStr, Tag, field_serializer, model_validator

from authshift.accounts.totp_secrets import TotpParameters, decode_secret, parse_otpauth  # the one TOTP decoder
from authshift.records.values import EmailText, PhoneText, RecordModel, UtcDateTime, UuidText

__all__ = [
    "COSE_KEY_PROBLEM",
    "TOTP_TAGS",
    "WEBAUTHN_TRANSPORTS",
    "Mfa",
    "Totp",
    "TotpParameters",
    "TotpSecret",
    "TotpUri",
    "WebAuthnCredential",
    "b64url_bytes",
    "usable_cose_key",
]

_Model = RecordModel

TotpAlgorithm = Literal["SHA1", "SHA256", "SHA512"]


def _upper(value: Any) -> Any:
    return value.upper() if isinstance(value, str) else value


class TotpSecret(_Model):
    """A TOTP factor given by its secret and parameters (RFC 6238)."""

    secret: SecretStr
    encoding: Literal["base32", "base64", "hex"] = "base32"
    algorithm: Annotated[TotpAlgorithm, BeforeValidator(_upper)] = "SHA1"
    digits: Literal[6, 8] = 6
    period: int = Field(default=30, ge=1, le=3600)

    @model_validator(mode="after")
    def _secret_decodes(self) -> TotpSecret:
        decode_secret(self.secret.get_secret_value(), self.encoding)
        return self

    @field_serializer("secret", when_used="always")
    def _dump_secret(self, value: SecretStr) -> str:
        return value.get_secret_value()

    def parameters(self) -> TotpParameters:
        return TotpParameters(decode_secret(self.secret.get_secret_value(), self.encoding),
                              self.algorithm, self.digits, self.period)


class TotpUri(_Model):
    """A TOTP factor given as a Key URI (``otpauth://totp/Label?secret=...``)."""

    uri: SecretStr

    @model_validator(mode="after")
    def _uri_parses(self) -> TotpUri:
        parse_otpauth(self.uri.get_secret_value())
        return self

    @field_serializer("uri", when_used="always")
    def _dump_uri(self, value: SecretStr) -> str:
        return value.get_secret_value()

    def parameters(self) -> TotpParameters:
        return parse_otpauth(self.uri.get_secret_value())


def _totp_kind(value: Any) -> str | None:
    if isinstance(value, dict):
        return "totp:uri" if "uri" in value else "totp:secret"
    if isinstance(value, (TotpSecret, TotpUri)):
        return "totp:uri" if isinstance(value, TotpUri) else "totp:secret"
    return None


Totp = Annotated[
    Annotated[TotpSecret, Tag("totp:secret")] | Annotated[TotpUri, Tag("totp:uri")],
    Discriminator(_totp_kind, custom_error_type="totp_shape",
                  custom_error_message="expected an object with either secret or uri"),
]


_B64URL = re.compile(r"^[A-Za-z0-9_-]+={0,2}$")
WEBAUTHN_TRANSPORTS = ("usb", "nfc", "ble", "smart-card", "hybrid", "internal", "cable")


def b64url_bytes(value: str, *, max_bytes: int) -> bytes:
    """base64url (padding optional) -> bytes, at most ``max_bytes``; the error says which rule failed."""
    text = value.strip()
    if not _B64URL.match(text):
        raise ValueError("expected base64url (A-Z a-z 0-9 - _)")
    raw = base64.urlsafe_b64decode(text.rstrip("=") + "=" * (-len(text.rstrip("=")) % 4))
    if not raw or len(raw) > max_bytes:
        raise ValueError(f"expected 1 to {max_bytes} bytes")
    return raw


def _canonical_b64url(max_bytes: int) -> Any:
    def check(value: str) -> str:
        return base64.urlsafe_b64encode(b64url_bytes(value, max_bytes=max_bytes)).decode().rstrip("=")
    return AfterValidator(check)


COSE_KEY_PROBLEM = ("not a COSE public key authshift verifies passkeys with "
                    "(ES256, ES512, EdDSA, RS256/384/512, PS256/384/512)")


def usable_cose_key(raw: bytes) -> bool:
    """Whether a COSE_Key (RFC 9052 §7) is one py_webauthn verifies signatures with: it decodes,
    its algorithm is one the library implements (it decodes an ES384 key it cannot verify with)
    and it becomes a ``cryptography`` key. The one rule for imported and converted keys."""
    from webauthn.helpers import decode_credential_public_key, decoded_public_key_to_cryptography
    from webauthn.helpers.cose import COSEAlgorithmIdentifier
    from webauthn.helpers.exceptions import WebAuthnException

    try:
        decoded = decode_credential_public_key(raw)
        COSEAlgorithmIdentifier(decoded.alg)
        decoded_public_key_to_cryptography(decoded)
    except (WebAuthnException, ValueError, KeyError, TypeError, IndexError):
        return False
    return True


def _check_cose_key(value: str) -> str:
    raw = b64url_bytes(value, max_bytes=2048)
    if not usable_cose_key(raw):
        raise ValueError(COSE_KEY_PROBLEM)
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _check_rp_id(value: str) -> str:
    text = value.strip().lower().rstrip(".")
    if not text or any(ch in text for ch in "/:@ "):
        raise ValueError("expected a domain name such as example.com")
    return text


class WebAuthnCredential(_Model):
    """A passkey or security key (WebAuthn credential record, Level 3 §4 "credential record").
    ``rp_id`` absent: the configured ``[webauthn] rp_id``."""

    credential_id: Annotated[str, _canonical_b64url(1023)]
    public_key: Annotated[str, AfterValidator(_check_cose_key)]
    sign_count: int = Field(default=0, ge=0, le=2**32 - 1)
    user_handle: Annotated[str, _canonical_b64url(64)]
    transports: list[Literal["usb", "nfc", "ble", "smart-card", "hybrid", "internal", "cable"]] | None = None
    aaguid: UuidText | None = None
    rp_id: Annotated[str, AfterValidator(_check_rp_id)] | None = None
    backup_eligible: bool = False
    backup_state: bool = False
    name: str | None = Field(default=None, max_length=64)
    created_at: UtcDateTime | None = None
    last_used_at: UtcDateTime | None = None


class Mfa(_Model):
    """Second factors: TOTP authenticators, passkeys (``webauthn``), email and SMS codes, recovery codes."""

    totp: list[Totp] | None = None
    webauthn: list[WebAuthnCredential] | None = None
    email: EmailText | None = None
    phone_number: PhoneText | None = None
    recovery_codes: list[SecretStr] | None = None
    # Unused codes as the legacy system stored them: hashes the passwords package verifies
    # (bcrypt, Django, PBKDF2, argon2...), checked at sign-in as they are, never re-hashed.
    recovery_code_hashes: list[Annotated[SecretStr, Field(min_length=1, max_length=1024)]] | None = None

    @field_serializer("recovery_code_hashes", when_used="always")
    def _dump_code_hashes(self, value: list[SecretStr] | None) -> list[str] | None:
        return None if value is None else [code.get_secret_value() for code in value]

    @field_serializer("recovery_codes", when_used="always")
    def _dump_codes(self, value: list[SecretStr] | None) -> list[str] | None:
        return None if value is None else [code.get_secret_value() for code in value]


TOTP_TAGS = frozenset({"totp:secret", "totp:uri"})  # union tags pydantic puts in error paths
