"""UserRecord: the one neutral user schema that import reads, export writes and the admin API
accepts and returns (docs/import-format.md describes it field by field).

Public surface:

- ``parse_record(obj, *, allow_plaintext_password=False) -> ParsedRecord``: validate one raw
  JSON-like object (a decoded NDJSON line, a CSV row already typed by the reader, an admin API
  body). Returns the record and its warnings (unknown fields, with their path), or raises
  ``RecordError`` listing every problem as ``FieldIssue(path, message)``. Messages never repeat
  a secret (hash, salt, password, TOTP secret, recovery code).
- ``record_to_json(record, *, keep_nulls=False) -> dict``: the compact JSON form (absent fields
  omitted, datetimes ISO 8601 UTC with ``Z``); ``parse_record(record_to_json(r)).record == r``.
- ``redact(obj)``: a copy of a raw or parsed record with every secret masked, for reports and logs.
- ``parse_datetime(value)``: the datetime rule of the format (ISO 8601 string; naive means UTC).

Absent versus null: an absent field (or one given as ``""``) is not in
``record.model_fields_set``; a field given as ``null`` is in it with the value ``None``, which an
upsert reads as "remove this value".
"""

from __future__ import annotations

import base64
import copy
import re
import uuid
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    SecretStr,
    Tag,
    ValidationError,
    ValidationInfo,
    field_serializer,
    field_validator,
    model_validator,
)

from authshift.accounts.normalize import (
    normalize_email,
    normalize_phone,
    normalize_username,
)
from authshift.accounts.totp_secrets import TotpParameters, decode_secret, parse_otpauth  # the one TOTP decoder
from authshift.errors import FieldError
from authshift.migration.record_limits import (
    MAX_EMAIL,
    MAX_LABEL,
    MAX_LIST,
    MAX_PHONE,
    MAX_SHORT,
    MAX_TEXT,
    MAX_URL,
    MAX_USERNAME,
    CustomAttributes,
    Label,
    ShortText,
    Text,
    text_limit,
)
from authshift.passwords.formats.keycloak import KEYCLOAK_MARKERS
from authshift.security.redaction import REDACTED
from authshift.security.redaction import redact as redact_secrets

__all__ = [
    "Address",
    "FieldIssue",
    "HashPassword",
    "Identity",
    "MIGRATION_STATES",
    "Mfa",
    "ParsedRecord",
    "Password",
    "PlainPassword",
    "RecordError",
    "StructuredPassword",
    "TotpParameters",
    "TotpSecret",
    "TotpUri",
    "UserRecord",
    "WebAuthnCredential",
    "parse_datetime",
    "parse_record",
    "record_to_json",
    "redact",
    "REDACTED",
]

MIGRATION_STATES = ("imported", "migrated", "native")


FieldIssue = FieldError  # the record's name for the one field-problem type (``authshift.errors``)


class RecordError(ValueError):
    """A record that cannot be used, with every problem found (never a secret in a message)."""

    def __init__(self, issues: list[FieldIssue] | tuple[FieldIssue, ...],
                 warnings: list[FieldIssue] | tuple[FieldIssue, ...] = ()) -> None:
        self.issues: tuple[FieldIssue, ...] = tuple(issues)
        self.warnings: tuple[FieldIssue, ...] = tuple(warnings)
        super().__init__("; ".join(str(issue) for issue in self.issues) or "invalid record")


# --------------------------------------------------------------------------- value rules

def parse_datetime(value: Any) -> datetime:
    """ISO 8601 date-time (``Z`` or an offset; no offset means UTC) -> aware UTC datetime.

    Numbers are refused: an epoch number is ambiguous (seconds or milliseconds); the readers of
    foreign formats convert their epochs before handing objects to ``parse_record``.
    """
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        text = value.strip()
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError("expected an ISO 8601 date-time such as 2024-05-01T12:30:00Z") from None
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        raise ValueError("expected an ISO 8601 date-time string, not a number "
                         "(epoch numbers are ambiguous between seconds and milliseconds)")
    else:
        raise ValueError("expected an ISO 8601 date-time string")
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _datetime_or_none(value: Any) -> Any:
    return None if value is None else parse_datetime(value)


UtcDateTime = Annotated[datetime, BeforeValidator(_datetime_or_none)]

_BIRTHDATE = re.compile(r"^(\d{4})(?:-(\d{2})-(\d{2}))?$")
_LOCALE = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*$")


def _check_birthdate(value: str) -> str:
    match = _BIRTHDATE.match(value)
    if not match:
        raise ValueError("expected YYYY or YYYY-MM-DD (0000-MM-DD when the year is not known)")
    year, month, day = match.groups()
    if month is not None:
        try:
            date(int(year) or 2000, int(month), int(day))
        except ValueError:
            raise ValueError("not a calendar date") from None
    elif year == "0000":
        raise ValueError("a year of 0000 is only allowed as 0000-MM-DD")
    return value


@lru_cache(maxsize=1)
def _known_time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _check_zoneinfo(value: str) -> str:
    zones = _known_time_zones()
    if zones and value not in zones:
        raise ValueError("not a time zone of the IANA database (for example Europe/Paris)")
    return value


def _check_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("expected an absolute http(s) URL")
    return value


# InvalidLoginId is a ValueError: pydantic reports its message at the field's path.
def _check_email(value: str) -> str:
    normalize_email(value)
    return value.strip()


def _check_username(value: str) -> str:
    normalize_username(value)
    return value.strip()


def _check_locale(value: str) -> str:
    if not _LOCALE.match(value):
        raise ValueError("expected a BCP 47 language tag such as en-US")
    return value


def _canonical_uuid(value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise ValueError("expected a UUID such as 0190a6e2-7c1e-7d3a-9b5e-2f1c3d4e5f60") from None


EmailText = Annotated[str, text_limit(MAX_EMAIL), AfterValidator(_check_email)]
PhoneText = Annotated[str, text_limit(MAX_PHONE), AfterValidator(normalize_phone)]  # stored in E.164
UsernameText = Annotated[str, text_limit(MAX_USERNAME), AfterValidator(_check_username)]
UrlText = Annotated[str, text_limit(MAX_URL), AfterValidator(_check_url)]
BirthdateText = Annotated[str, text_limit(MAX_SHORT), AfterValidator(_check_birthdate)]
ZoneText = Annotated[str, text_limit(MAX_SHORT), AfterValidator(_check_zoneinfo)]
LocaleText = Annotated[str, text_limit(MAX_SHORT), AfterValidator(_check_locale)]
UuidText = Annotated[str, text_limit(MAX_SHORT), AfterValidator(_canonical_uuid)]


# --------------------------------------------------------------------------- models

class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, validate_assignment=False)


class Address(_Model):
    """OIDC Core 5.1.1 address claim."""

    formatted: Text | None = None
    street_address: Text | None = None
    locality: Text | None = None
    region: Text | None = None
    postal_code: Text | None = None
    country: Text | None = None


class Identity(_Model):
    """A federated identity: the user's subject at an upstream identity provider."""

    provider: str = Field(min_length=1, max_length=MAX_LABEL)
    subject: str = Field(min_length=1, max_length=MAX_TEXT)
    email: EmailText | None = None


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


class _PasswordFlags(_Model):
    must_change: bool | None = None
    expire_at: UtcDateTime | None = None


class HashPassword(_PasswordFlags):
    """``{"hash": "$2b$10$..."}``: a self-describing hash string (the passwords package identifies it)."""

    hash: SecretStr

    @field_validator("hash")
    @classmethod
    def _not_blank(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().strip():
            raise ValueError("the hash is empty")
        return value

    @field_serializer("hash", when_used="always")
    def _dump_hash(self, value: SecretStr) -> str:
        return value.get_secret_value()

    # The format or family that wrote the hash, where its shape alone is ambiguous
    # (``sha1$salt$hex``: "django" or "werkzeug"; 32 hex digits: "md5" or "nt"). See hash-formats.md.
    format: str | None = Field(default=None, min_length=1, max_length=64)

    def passwords_object(self) -> dict[str, Any]:
        """What ``authshift.passwords.parse`` takes."""
        if self.format is not None:
            return {"hash": self.hash.get_secret_value(), "format": self.format}
        return {"hash": self.hash.get_secret_value()}


class StructuredPassword(_PasswordFlags):
    """``{"algorithm": "...", "hash": "...", "salt": "...", ...}``: a hash that needs parameters.

    Every key is kept exactly as given (``model_extra``); ``authshift.passwords.parse`` validates
    the object at import, where the hash format and its ceilings are checked.
    """

    model_config = ConfigDict(extra="allow", strict=True)

    algorithm: str = Field(min_length=1)

    def passwords_object(self) -> dict[str, Any]:
        """What ``authshift.passwords.parse`` takes: algorithm and parameters, without the flags."""
        return {"algorithm": self.algorithm, **(self.model_extra or {})}


class PlainPassword(_PasswordFlags):
    """A new password in plain text: ``"password": "s3cret"`` (or ``{"plaintext": ..., "must_change": true}``).

    Accepted only when ``parse_record(..., allow_plaintext_password=True)`` (the admin API);
    import files are refused by default so that no file of plain passwords is taken by accident.
    """

    plaintext: SecretStr

    @field_validator("plaintext")
    @classmethod
    def _not_blank(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value():
            raise ValueError("the password is empty")
        return value

    @field_serializer("plaintext", when_used="always")
    def _dump_plaintext(self, value: SecretStr) -> str:
        return value.get_secret_value()


_PASSWORD_TAGS: dict[type, str] = {HashPassword: "password:hash", StructuredPassword: "password:structured",
                                   PlainPassword: "password:plaintext"}
_PASSWORD_MODELS = tuple(_PASSWORD_TAGS)


def _password_kind(value: Any) -> str | None:
    # Called for every password validated (a dict) and serialized (a model).
    if isinstance(value, dict):
        if "plaintext" in value:
            return "password:plaintext"
        if "algorithm" in value:
            return "password:structured"
        if "hash" in value:
            return "password:hash"
        return None
    if isinstance(value, _PASSWORD_MODELS):
        return _PASSWORD_TAGS[type(value)]
    return None


def _plain_string_password(value: Any) -> Any:
    if isinstance(value, str):
        return {"plaintext": value}
    if isinstance(value, dict) and "hash" not in value and "algorithm" not in value and "plaintext" not in value \
            and any(marker in value for marker in KEYCLOAK_MARKERS):
        return {"algorithm": "keycloak", **value}  # a credential as Keycloak's realm export writes it
    return value


Password = Annotated[
    Annotated[HashPassword, Tag("password:hash")] | Annotated[StructuredPassword, Tag("password:structured")] | Annotated[PlainPassword, Tag("password:plaintext")],
    Discriminator(_password_kind, custom_error_type="password_shape",
                  custom_error_message='expected {"hash": ...}, {"algorithm": ..., "hash": ...} or a plain-text string'),
    BeforeValidator(_plain_string_password),
]

_UNION_TAGS = frozenset({"totp:secret", "totp:uri", "password:hash", "password:structured", "password:plaintext"})

OptionalStr = Text | None


class UserRecord(_Model):
    """One user in the neutral format. Every field is optional; see docs/import-format.md."""

    id: UuidText | None = None
    external_id: OptionalStr = None
    source: ShortText | None = None
    email: EmailText | None = None
    email_verified: bool | None = None
    phone_number: PhoneText | None = None
    phone_number_verified: bool | None = None
    preferred_username: UsernameText | None = None
    name: OptionalStr = None
    given_name: OptionalStr = None
    family_name: OptionalStr = None
    middle_name: OptionalStr = None
    nickname: OptionalStr = None
    picture: UrlText | None = None
    profile: UrlText | None = None
    website: UrlText | None = None
    gender: OptionalStr = None
    birthdate: BirthdateText | None = None
    zoneinfo: ZoneText | None = None
    locale: LocaleText | None = None
    address: Address | None = None
    custom_attributes: CustomAttributes | None = None
    roles: Annotated[list[Label], Field(max_length=MAX_LIST)] | None = None
    groups: Annotated[list[Label], Field(max_length=MAX_LIST)] | None = None
    disabled: bool | None = None
    disabled_reason: OptionalStr = None
    created_at: UtcDateTime | None = None
    last_login_at: UtcDateTime | None = None
    updated_at: UtcDateTime | None = None
    migration_state: Literal["imported", "migrated", "native"] | None = None
    password: Password | None = None
    password_migration: Literal["lazy", "reset"] | None = None
    identities: Annotated[list[Identity], Field(max_length=MAX_LIST)] | None = None
    mfa: Mfa | None = None

    @field_validator("password_migration")
    @classmethod
    def _one_password_source(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and info.data.get("password") is not None:
            raise ValueError("password and password_migration exclude each other: "
                             "password_migration is for users whose password stayed in the legacy system")
        return value

    @property
    def has_plaintext_password(self) -> bool:
        return isinstance(self.password, PlainPassword)


@dataclass(frozen=True, slots=True)
class ParsedRecord:
    record: UserRecord
    warnings: tuple[FieldIssue, ...] = ()


# --------------------------------------------------------------------------- parsing

# Keys whose value is free-form user data: an empty string there is data, not absence.
_OPAQUE_KEYS = frozenset({"custom_attributes"})


def _drop_empty(value: Any) -> Any:
    """``value`` where "" (at any level of our schema) means absent.

    Only the containers that hold a "" (or hold one that does) are copied; the others, which are
    almost all of them, are returned as they are (this runs for every imported record).
    """
    if isinstance(value, dict):
        if "" in value.values():
            return {key: _drop_empty(item) if isinstance(item, _NESTED) and key not in _OPAQUE_KEYS else item
                    for key, item in value.items() if item != ""}
        copied: dict[Any, Any] | None = None
        for key, item in value.items():
            if isinstance(item, _NESTED) and key not in _OPAQUE_KEYS:
                cleaned = _drop_empty(item)
                if cleaned is not item:
                    if copied is None:
                        copied = dict(value)
                    copied[key] = cleaned
        return value if copied is None else copied
    if isinstance(value, list):
        if "" in value or any(isinstance(item, _NESTED) and _drop_empty(item) is not item for item in value):
            return [_drop_empty(item) if isinstance(item, _NESTED) else item for item in value if item != ""]
        return value
    return value


# Only containers are looked into (no call per scalar).
_NESTED = (dict, list)


def _path(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif part in _UNION_TAGS:
            continue
        else:
            text += f".{part}" if text else str(part)
    return text


def _message(error: dict[str, Any]) -> str:
    kind = error["type"]
    if kind == "missing":
        return "is required"
    if kind in ("string_type", "bool_type", "int_type", "list_type", "dict_type", "model_type",
                "model_attributes_type"):
        expected = {"string_type": "a string", "bool_type": "a boolean (true or false)",
                    "int_type": "an integer", "list_type": "a list", "dict_type": "an object",
                    "model_type": "an object", "model_attributes_type": "an object"}[kind]
        return f"expected {expected}"
    message = str(error["msg"])
    return message.removeprefix("Value error, ")


def _delete_at(obj: Any, loc: tuple[int | str, ...]) -> None:
    target = obj
    path = [part for part in loc if part not in _UNION_TAGS]
    for part in path[:-1]:
        target = target[part]
    if isinstance(target, dict):
        target.pop(path[-1], None)


def parse_record(obj: Any, *, allow_plaintext_password: bool = False) -> ParsedRecord:
    """Validate one raw record; see the module docstring."""
    if not isinstance(obj, dict):
        raise RecordError([FieldIssue("", "a record must be a JSON object")])
    data = _drop_empty(obj)
    warnings: list[FieldIssue] = []
    try:
        record = _RECORD_VALIDATOR.validate_python(data)
    except ValidationError as exc:
        problems: list[FieldIssue] = []
        unknown: list[tuple[int | str, ...]] = []
        for error in exc.errors(include_url=False, include_input=False):
            loc = tuple(error["loc"])
            if error["type"] == "extra_forbidden":
                unknown.append(loc)
                warnings.append(FieldIssue(_path(loc), "unknown field, ignored"))
            else:
                problems.append(FieldIssue(_path(loc), _message(error)))
        if problems:
            raise RecordError(problems, warnings) from None
        data = copy.deepcopy(data)
        for loc in unknown:
            _delete_at(data, loc)
        record = _RECORD_VALIDATOR.validate_python(data)
    if record.has_plaintext_password and not allow_plaintext_password:
        raise RecordError([FieldIssue("password", "a plain-text password is not accepted here; "
                                      "give a hash ({\"hash\": ...}) or a structured hash object")], warnings)
    return ParsedRecord(record, tuple(warnings))


def record_to_json(record: UserRecord, *, keep_nulls: bool = False) -> dict[str, Any]:
    """The compact JSON form of a record: absent and null fields omitted, datetimes in UTC with Z.

    With ``keep_nulls`` the top-level fields that were explicitly set to null are kept as null
    (what an upsert reads as "remove").
    """
    data: dict[str, Any] = _RECORD_SERIALIZER.to_python(record, mode="json", exclude_none=True)
    if keep_nulls:
        values = record.__dict__
        for name in record.__pydantic_fields_set__:
            if values[name] is None:
                data[name] = None
    return data


# model_validate and model_dump without their Python wrappers (they run for every imported record)
_RECORD_VALIDATOR = UserRecord.__pydantic_validator__
_RECORD_SERIALIZER = UserRecord.__pydantic_serializer__


# --------------------------------------------------------------------------- redaction

def redact(obj: Any) -> Any:
    """A copy of a record (raw object, native or foreign, or a UserRecord) with every secret masked,
    for reports: ``security.redaction.redact``, the rule logs, the audit log and errors use too.

    Password hashes, salts, keys and plain passwords, TOTP secrets and URIs, recovery codes and
    anything named like a secret or token become ``"[redacted]"``; the password's algorithm and
    cost parameters and flags stay visible, so a report can still say what was wrong.
    """
    return redact_secrets(record_to_json(obj) if isinstance(obj, UserRecord) else obj)
