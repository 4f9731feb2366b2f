"""A record's password: a self-describing hash, a structured hash object, or (admin API only) plain text."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, ConfigDict, Discriminator, Field, SecretStr, Tag, field_serializer, field_validator

from authshift.passwords.formats.keycloak import KEYCLOAK_MARKERS
from authshift.records.values import RecordModel, UtcDateTime

__all__ = ["PASSWORD_TAGS", "HashPassword", "Password", "PlainPassword", "StructuredPassword"]

_Model = RecordModel

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

PASSWORD_TAGS = frozenset(_PASSWORD_TAGS.values())  # union tags pydantic puts in error paths
