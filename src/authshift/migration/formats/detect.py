"""Recognise the export files of the systems authshift reads, from their first bytes.

A file of another system imported as authshift's own format (no ``--format``) would fail with a
JSON or field error on every record; ``foreign_shape`` names the system and the option to use
instead. Markers are fields only that system writes, looked for in the head of the file.
"""

from __future__ import annotations

import csv
import io

SNIFF_BYTES = 1 << 16  # what is looked at: the head of the file
_FIREBASE_CSV_FIELDS = (28, 29, 53)  # see sources.firebase.CSV_LAYOUTS


def _first_csv_row(head: bytes) -> list[str]:
    line = head.split(b"\n", 1)[0].decode("utf-8", "replace")
    try:
        return next(csv.reader(io.StringIO(line)), [])
    except csv.Error:
        return []


def _looks_like_firebase_csv(row: list[str]) -> bool:
    return (len(row) in _FIREBASE_CSV_FIELDS and row[-1] == "" and "@" not in row[0]
            and row[2].strip().lower() in ("true", "false"))


def foreign_shape(head: bytes) -> tuple[str, str] | None:
    """(format, what the file looks like) when ``head`` is another system's export, else None."""
    if b'"localId"' in head and (b'"passwordHash"' in head or b'"users"' in head):
        return "firebase", "a Firebase auth:export file"
    if b'"encryptionScheme"' in head and b'"users"' in head:
        return "fusionauth", "a FusionAuth user import file"
    if b'"realm"' in head and b'"users"' in head:
        return "keycloak", "a Keycloak realm export"
    if b'"user_id"' in head and (b'"auth0|' in head or b'"connection"' in head):
        return "auth0", "an Auth0 user export"
    if b'"passwordHash"' in head and b'"$oid"' in head:
        return "auth0", "Auth0's password-hash export (give it with --auth0-password-hashes, beside the user export)"
    if b'"custom_password_hash"' in head or b'"password_hash"' in head:
        return "auth0", "an Auth0 bulk-import file"
    if b'"auth.user"' in head and b'"model"' in head:
        return "django", "a Django dumpdata of auth.user"
    row = _first_csv_row(head)
    if any(cell.strip().startswith("cognito:") for cell in row):
        return "cognito", "an Amazon Cognito user CSV"
    if b"encrypted_password" in head:
        return "supabase", "a Supabase auth.users export"
    if _looks_like_firebase_csv(row):
        return "firebase", "a Firebase auth:export CSV"
    return None


def foreign_shape_message(head: bytes) -> str | None:
    """The refusal for a foreign file read as authshift's format (None when it is not one)."""
    found = foreign_shape(head)
    if found is None:
        return None
    fmt, what = found
    extra = " and --hash-config FILE (the console's password hash parameters)" if fmt == "firebase" else ""
    return f"this looks like {what}, not authshift's own format: import it with --format {fmt}{extra}"
