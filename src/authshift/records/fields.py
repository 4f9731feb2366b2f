"""The user record, described once: each field, where it is stored, and what kind of value it is.

The record (what import reads, export writes, the admin API returns, lazy migration creates and
token exchange maps) used to be written out by hand in each place that handles it, so a new field
had to be added in all of them and tests had to check that they agreed. Now they are derived from
``FIELDS``:

- row building and record assembly (``accounts.rows``: ``build_user_rows``, ``assemble_record``,
  which ``record_of_loaded_user`` also uses);
- the SQL that composes export lines (``accounts.record_sql``);
- the fields a legacy token's claims may fill (``config.MAPPABLE_RECORD_FIELDS``);
- the table of fields in docs/import-format.md (``markdown_table``; a test compares them).

Parsing and validation (``records``) stay a pydantic model, whose field names and order
a test compares with ``FIELDS``: a model says what a valid value is, which a kind cannot.

This module is pure (the standard library only): the settings and the command line import it
without loading the database layer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = [
    "CLAIM_COLUMNS",
    "DEFAULT_CLAIM_MAPPING",
    "FIELDS",
    "LOGIN_ID_FIELDS",
    "MAPPABLE_FIELDS",
    "SECRET_FIELDS",
    "USER_COLUMNS",
    "Field",
    "Kind",
    "by_kind",
    "markdown_table",
]

# How a value moves between the record and its row, and back:
# id         the user's id (``users.id``): a UUID, written as text
# text       optional text: the record leaves it out when the column is NULL
# nonempty   optional text that is also left out when empty
# json       an optional JSON value (a column of JSON type), left out when NULL
# object     a JSON object, ``{}`` when there is none (never left out)
# list       a JSON list, ``[]`` when there is none (never left out)
# bool       a flag, false when absent (never left out)
# timestamp  a UTC date-time, ISO 8601 with ``Z`` in the record; left out when NULL
# login_id   a login ID: a row of ``identities`` (``kind`` = the field's name, ``raw`` as written)
# verified   the ``verified`` flag of the login ID named by ``of``
# related    rows of other tables, built and read by the functions named in ``stored``
Kind = Literal["id", "text", "nonempty", "json", "object", "list", "bool", "timestamp", "login_id", "verified", "related"]


@dataclass(frozen=True, slots=True)
class Field:
    """One top-level field of the record."""

    name: str  # the record's key
    kind: Kind
    type: str  # the JSON type, as the format documentation names it
    rules: str  # what the documentation says about it (markdown)
    table: str = "users"
    column: str | None = None  # None: the column has the field's name (``related``: several tables)
    default_now: bool = False  # a new row without it takes the time of writing
    of: str | None = None  # ``verified``: the login ID whose flag it is
    secret: bool = False  # exported only with secrets; masked in reports
    claim: str | None = None  # the legacy token claim that fills it by default (token exchange)
    mappable: bool = False  # a legacy token's claims may fill it (``claims = {field = "claim"}``)
    stored: str = ""  # ``related``: where its rows live, for the documentation
    oidc: bool = False  # an OIDC standard claim kept on the user's row (the ID token and userinfo give it)

    @property
    def col(self) -> str:
        return self.column or self.name


_CLAIM = "OIDC standard claim"


def _claim(name: str, rules: str = _CLAIM, *, mappable: bool = True, default_claim: bool = True) -> Field:
    return Field(name, "text", "string", rules, mappable=mappable, claim=name if default_claim else None, oidc=True)


FIELDS: tuple[Field, ...] = (
    Field("id", "id", "string", "authshift's id of the user (a UUID); written by export, optional on import"),
    Field("external_id", "text", "string",
          "the user's id in the old system (Auth0 `user_id`, Firebase `localId`, ...); unique per `source`"),
    Field("source", "text", "string",
          "the system the user comes from, and the namespace of `external_id` (see [Sources](#sources))"),
    Field("email", "login_id", "string", "syntax checked (no DNS lookup); kept as written, matched case-insensitively",
          table="identities", column="raw"),
    Field("email_verified", "verified", "boolean", "", table="identities", column="verified", of="email",
          claim="email_verified", mappable=True),
    Field("phone_number", "login_id", "string",
          "parsed and stored in E.164 (`+14155550100`); write it with its `+country code`",
          table="identities", column="raw", claim="phone_number", mappable=True),
    Field("phone_number_verified", "verified", "boolean", "", table="identities", column="verified",
          of="phone_number", claim="phone_number_verified", mappable=True),
    Field("preferred_username", "login_id", "string",
          "matched after trimming, NFKC normalisation and case folding", table="identities", column="raw",
          mappable=True),
    _claim("name"),
    _claim("given_name"),
    _claim("family_name"),
    _claim("middle_name"),
    _claim("nickname"),
    _claim("picture", "an absolute `http(s)` URL"),
    _claim("profile", "an absolute `http(s)` URL", default_claim=False),
    _claim("website", "an absolute `http(s)` URL", default_claim=False),
    _claim("gender", default_claim=False),
    _claim("birthdate", "`YYYY`, `YYYY-MM-DD`, or `0000-MM-DD` when the year is unknown", default_claim=False),
    _claim("zoneinfo", "an IANA time zone (`Europe/Paris`)"),
    _claim("locale", "a BCP 47 tag (`fr-FR`; `fr_FR` is accepted)"),
    Field("address", "json", "object",
          "`formatted`, `street_address`, `locality`, `region`, `postal_code`, `country` (strings)", oidc=True),
    Field("custom_attributes", "object", "object",
          "any JSON values, kept as given (`NaN` and `Infinity` are not JSON values: the record fails)"),
    Field("roles", "list", "list of strings", ""),
    Field("groups", "list", "list of strings", ""),
    Field("disabled", "bool", "boolean", "a disabled user cannot sign in"),
    Field("disabled_reason", "nonempty", "string", "why (shown to administrators, not to the user)"),
    Field("created_at", "timestamp", "date-time", "", default_now=True),
    Field("last_login_at", "timestamp", "date-time", ""),
    Field("updated_at", "timestamp", "date-time", "", default_now=True),
    Field("migration_state", "text", "string",
          "`imported` (not signed in here yet), `migrated` (has signed in here), `native` (created here); "
          "written by export, kept by import when given"),
    Field("password", "related", "object", "see [Passwords](#passwords)", table="passwords", secret=True,
          stored="`passwords`"),
    Field("password_migration", "nonempty", "string",
          "`lazy` or `reset`, for users whose password stayed in the old system; see below"),
    Field("identities", "related", "list of objects",
          "federated identities: `provider`, `subject` (required), `email`", table="federated_identities",
          stored="`federated_identities`"),
    Field("mfa", "related", "object", "see [Second factors](#second-factors)", table="totp_factors",
          stored="`totp_factors`, `otp_factors`, `recovery_codes`, `webauthn_credentials`"),
)

_BY_NAME = {f.name: f for f in FIELDS}


def by_kind(*kinds: Kind) -> tuple[Field, ...]:
    """The fields of these kinds, in the record's order."""
    return tuple(f for f in FIELDS if f.kind in kinds)


# The derived lists other modules use.
LOGIN_ID_FIELDS: dict[str, str | None] = {  # login ID field -> its verification flag (None: always verified)
    f.name: next((v.name for v in by_kind("verified") if v.of == f.name), None) for f in by_kind("login_id")
}
CLAIM_COLUMNS: tuple[str, ...] = tuple(f.col for f in FIELDS if f.oidc)
USER_COLUMNS: tuple[str, ...] = tuple(f.col for f in FIELDS if f.table == "users" and f.kind != "related")
SECRET_FIELDS = frozenset(f.name for f in FIELDS if f.secret)
MAPPABLE_FIELDS = frozenset(f.name for f in FIELDS if f.mappable)
DEFAULT_CLAIM_MAPPING: dict[str, str] = {f.name: f.claim for f in FIELDS if f.claim is not None}


def field(name: str) -> Field:
    return _BY_NAME[name]


def _stored_in(f: Field) -> str:
    if f.kind == "related":
        return f.stored
    return f"`{f.table}.{f.col}`"


def markdown_table() -> str:
    """The table of fields in docs/import-format.md (between its ``record-fields`` markers)."""
    lines = ["| field | type | stored in | rules |", "|---|---|---|---|"]
    for f in FIELDS:
        lines.append(f"| `{f.name}` | {f.type} | {_stored_in(f)} | {f.rules} |".replace("|  |", "| |"))
    return "\n".join(lines) + "\n"
