"""JSON Schemas of the admin API's request bodies, as exact as JSON Schema can say them.

A body the schema allows must be accepted (clients generate code from it; schemathesis checks
it). Where a rule is a regular expression or a range, the schema states it. Where a rule is not
expressible in JSON Schema (a phone number possible for its country, a hash string one of the
supported formats identifies, a password the policy accepts, an IANA time zone) the string
carries a named ``format`` whose description says the rule: tools that do not know the format
treat it as a plain string, and the server answers 422 naming the field.

The user record's schema is pydantic's (``UserRecord``, the import format), with those formats
added; ``UserPatch`` is the same without the fields the server keeps itself.
"""

from __future__ import annotations

import copy
from typing import Any

from authshift.accounts.normalize import MAX_USERNAME_LENGTH
from authshift.records import UserRecord

# format name -> what it means (the descriptions are in the document, for people reading it)
FORMATS = {
    "phone": "a phone number in international form (+<country code>...) with a possible length for its country",
    "username": f"a username: 1 to {MAX_USERNAME_LENGTH} characters after trimming, none of Unicode category C "
                "(control, format, unassigned)",
    "login-id": "an email address, a phone number in international form, or a username",
    "http-url": "an absolute http:// or https:// URL",
    "birthdate": "YYYY-MM-DD, YYYY, or 0000-MM-DD when the year is not known (a calendar date)",
    "iana-time-zone": "a time zone of the IANA database, such as Europe/Paris",
    "password-hash": "a hash string of a supported format (docs/hash-formats.md), such as $2b$10$...",
    "totp-secret": "the TOTP secret in the factor's encoding (base32 by default, base64 or hex)",
    "otpauth-uri": "an otpauth://totp/ Key URI with a secret, SHA1/SHA256/SHA512, 6 or 8 digits",
    "password": "a new password the password policy accepts ([password_policy]: length, common passwords)",
}
READ_ONLY = ("id", "migration_state", "created_at", "updated_at", "last_login_at")

# (schema name, property) -> keywords added to the property's string branch
_USER_STRINGS: dict[tuple[str, str], dict[str, Any]] = {
    ("UserRecord", "id"): {"format": "uuid"},
    ("UserRecord", "email"): {"format": "email"},
    ("UserRecord", "phone_number"): {"format": "phone"},
    ("UserRecord", "preferred_username"): {"format": "username"},
    ("UserRecord", "picture"): {"format": "http-url"},
    ("UserRecord", "profile"): {"format": "http-url"},
    ("UserRecord", "website"): {"format": "http-url"},
    ("UserRecord", "birthdate"): {"format": "birthdate"},
    ("UserRecord", "zoneinfo"): {"format": "iana-time-zone"},
    ("UserRecord", "locale"): {"pattern": r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*$"},
    ("Mfa", "email"): {"format": "email"},
    ("Identity", "email"): {"format": "email"},
    ("Mfa", "phone_number"): {"format": "phone"},
    ("HashPassword", "hash"): {"format": "password-hash"},
    ("PlainPassword", "plaintext"): {"format": "password"},
    ("TotpSecret", "secret"): {"format": "totp-secret"},
    ("TotpUri", "uri"): {"format": "otpauth-uri"},
}


def _strings(node: dict[str, Any]) -> list[dict[str, Any]]:
    """The string-typed branches of a property schema (itself, or inside its anyOf)."""
    if node.get("type") == "string":
        return [node]
    return [branch for branch in node.get("anyOf", []) if branch.get("type") == "string"]


def _no_nul(node: Any) -> None:
    """Every free string of a user record excludes NUL, which no backend stores (PostgreSQL text
    cannot hold it; the API refuses it with a 422 like the import readers)."""
    if isinstance(node, dict):
        if node.get("type") == "string" and "pattern" not in node and "format" not in node and "enum" not in node:
            node["pattern"] = "^[^\\x00]*$"
        for value in node.values():
            _no_nul(value)
    elif isinstance(node, list):
        for value in node:
            _no_nul(value)


def user_schemas() -> dict[str, Any]:
    """``UserRecord`` (create) and ``UserPatch`` and the schemas they use, by name."""
    schema = UserRecord.model_json_schema(ref_template="#/components/schemas/{model}")
    defs: dict[str, Any] = schema.pop("$defs")
    defs["UserRecord"] = schema
    for (model, name), extra in _USER_STRINGS.items():
        for branch in _strings(defs[model]["properties"][name]):
            branch.update(extra)
            if "format" in extra and extra["format"] in FORMATS:
                branch["description"] = FORMATS[extra["format"]]
    _no_nul(defs)
    # A password given as a string is a new plain-text password (PlainPassword's short form).
    password = defs["UserRecord"]["properties"]["password"]
    password["anyOf"].insert(0, {"type": "string", "format": "password", "description": FORMATS["password"]})
    # password and password_migration exclude each other (the latter: the password stayed in the legacy system)
    schema["not"] = {"required": ["password", "password_migration"],
                     "properties": {"password": {"not": {"type": "null"}}, "password_migration": {"type": "string"}}}
    patch = copy.deepcopy(schema)
    # A new user needs something to be found by (the rule of ``accounts.users.create_user``).
    schema["anyOf"] = [{"required": [key], "properties": {key: {"type": "string"}}}
                       for key in ("email", "phone_number", "preferred_username", "external_id")]
    patch["title"] = "UserPatch"
    patch["description"] = "The fields to change; null removes a value. " + ", ".join(READ_ONLY) + " cannot be changed."
    for name in READ_ONLY:
        patch["properties"].pop(name)
    defs["UserPatch"] = patch
    return defs


def body(ref: str, defs: dict[str, Any] | None = None) -> dict[str, Any]:
    """``openapi_extra`` for a JSON request body (``defs`` are lifted into components)."""
    schema: dict[str, Any] = {"$ref": f"#/components/schemas/{ref}"}
    if defs:
        schema["$defs"] = defs
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


def inline_body(schema: dict[str, Any], *, required: bool = True) -> dict[str, Any]:
    return {"requestBody": {"required": required, "content": {"application/json": {"schema": schema}}}}


def names_body(key: str) -> dict[str, Any]:
    """``{"roles": [...]}``: a list of non-empty names (duplicates are dropped)."""
    return inline_body({"type": "object", "required": [key], "properties": {
        key: {"type": "array", "items": {"type": "string", "minLength": 1}}}})


def _any_of_names(names: tuple[str, ...]) -> str:
    return "(?:" + "|".join(names) + ")"


def export_body() -> dict[str, Any]:
    """``POST /exports``: the options of ``authshift export`` (``migration/exports/options.py``)."""
    from authshift.migration.exports.options import EXPORT_FORMATS, FILTER_KEYS, PEER_FORMATS, RECORD_FIELDS, SECRET_FIELDS
    from authshift.records import MIGRATION_STATES

    name = _any_of_names(RECORD_FIELDS)
    field_list = {"type": "array", "minItems": 1, "items": {"enum": list(RECORD_FIELDS)}}
    field_text = {"type": "string", "description": "field names separated by commas",
                  "pattern": rf"^(?=.*[a-z])\s*{name}?\s*(?:,\s*{name}?\s*)*$"}
    filters: dict[str, Any] = {key: {"type": "string", "pattern": r"\S"} for key in FILTER_KEYS}
    filters["migration_state"] = {"enum": list(MIGRATION_STATES)}
    for key in ("created_after", "created_before", "updated_after", "updated_before"):
        filters[key] = {"type": "string", "format": "date-time"}
    secret_named = {"anyOf": [{"type": "array", "contains": {"enum": sorted(SECRET_FIELDS)}},
                              {"type": "string", "pattern": rf"(?:^|,)\s*{_any_of_names(tuple(sorted(SECRET_FIELDS)))}\s*(?:,|$)"}]}
    schema = {
        "type": "object", "additionalProperties": False,
        "description": "An *_after filter must be earlier than its *_before filter.",
        "properties": {
            "format": {"enum": [*EXPORT_FORMATS, None], "default": "ndjson"},
            "fields": {"anyOf": [field_list, field_text, {"type": "null"}],
                       "description": "id is always exported; not with the auth0 or kratos format"},
            "filters": {"anyOf": [{"type": "object", "additionalProperties": False, "properties": filters},
                                  {"type": "null"}]},
            "include_secrets": {"type": ["boolean", "null"], "default": False,
                                "description": "needs an admin key with the secrets:export scope"},
            "encrypt_to": {"anyOf": [{"type": "array", "items": {"type": "string", "format": "age-recipient"}},
                                     {"type": "string", "format": "age-recipient"}, {"type": "null"}],
                           "description": "age public keys (age1...): the file is encrypted to them"},
        },
        "allOf": [
            {"not": {"required": ["format", "fields"],
                     "properties": {"format": {"enum": sorted(PEER_FORMATS)}, "fields": {"not": {"type": "null"}}}}},
            {"anyOf": [{"required": ["include_secrets"], "properties": {"include_secrets": {"const": True}}},
                       {"not": {"required": ["fields"], "properties": {"fields": secret_named}}}]},
        ],
    }
    return inline_body(schema)


_EVENT_TYPE = r"^(\*|[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*(\.\*)?)$"


def webhook_body(*, partial: bool) -> dict[str, Any]:
    """``POST`` (url and event_types required) and ``PATCH`` (at least one field) of a webhook."""
    from authshift.events.webhooks import MAX_EVENT_TYPES

    schema: dict[str, Any] = {
        "type": "object", "additionalProperties": False,
        "properties": {
            "url": {"type": "string", "format": "webhook-url",
                    "description": "an absolute https:// URL without credentials (http:// to loopback only when "
                                   "[delivery] allow_insecure_webhook_urls is true)"},
            "event_types": {"type": "array", "minItems": 1, "maxItems": MAX_EVENT_TYPES,
                            "items": {"type": "string", "pattern": _EVENT_TYPE}},
            "description": {"type": ["string", "null"], "maxLength": 500, "pattern": "^[^\\x00]*$"},
            "enabled": {"type": "boolean"},
        },
    }
    if partial:
        schema["minProperties"] = 1
    else:
        schema["required"] = ["url", "event_types"]
    return inline_body(schema)


SESSION_BODY = inline_body({
    "type": "object", "required": ["client_id"],
    "properties": {"client_id": {"type": "string", "pattern": r"\S"},
                   "scope": {"type": ["string", "null"], "example": "openid profile email"}},
})
