"""``UserRecord``: the one neutral user schema, as a validating model (docs/import-format.md).

Its fields are ``records.fields.FIELDS`` in the same order (a test compares them): that
list says where each is stored and how, this model what a valid value is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import Field, ValidationInfo, field_validator

from authshift.errors import FieldError
from authshift.records.limits import MAX_LABEL, MAX_LIST, MAX_TEXT, CustomAttributes, Label, ShortText, Text
from authshift.records.mfa import TOTP_TAGS, Mfa
from authshift.records.password import PASSWORD_TAGS, Password, PlainPassword
from authshift.records.values import (
    BirthdateText,
    EmailText,
    LocaleText,
    PhoneText,
    RecordModel,
    UrlText,
    UsernameText,
    UtcDateTime,
    UuidText,
    ZoneText,
)

__all__ = ["MIGRATION_STATES", "UNION_TAGS", "Address", "FieldIssue", "Identity", "ParsedRecord", "UserRecord"]

MIGRATION_STATES = ("imported", "migrated", "native")
UNION_TAGS = TOTP_TAGS | PASSWORD_TAGS  # left out of the paths errors name

FieldIssue = FieldError  # the record's name for the one field-problem type (``authshift.errors``)

_Model = RecordModel


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
