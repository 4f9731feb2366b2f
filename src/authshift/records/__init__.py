"""UserRecord: the one neutral user schema that import reads, export writes and the admin API
accepts and returns (docs/import-format.md describes it field by field).

A pure package (pydantic and the standard library; no database, no HTTP), split by purpose:
``values`` (date-times and checked text), ``mfa`` (second factors), ``password`` (the password
shapes), ``model`` (``UserRecord`` itself) and ``parse`` (reading, writing and redacting records).
Callers import from here.

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

from authshift.records.mfa import (
    COSE_KEY_PROBLEM,
    WEBAUTHN_TRANSPORTS,
    Mfa,
    TotpParameters,
    TotpSecret,
    TotpUri,
    WebAuthnCredential,
    b64url_bytes,
    usable_cose_key,
)
from authshift.records.model import MIGRATION_STATES, Address, FieldIssue, Identity, ParsedRecord, UserRecord
from authshift.records.parse import RecordError, _drop_empty, parse_record, record_to_json, redact
from authshift.records.password import HashPassword, Password, PlainPassword, StructuredPassword
from authshift.records.values import parse_datetime
from authshift.security.redaction import REDACTED

__all__ = [
    "COSE_KEY_PROBLEM",
    "MIGRATION_STATES",
    "REDACTED",
    "WEBAUTHN_TRANSPORTS",
    "Address",
    "FieldIssue",
    "HashPassword",
    "Identity",
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
    "_drop_empty",
    "b64url_bytes",
    "parse_datetime",
    "parse_record",
    "record_to_json",
    "redact",
    "usable_cose_key",
]
