"""``records`` (parsing and validation of user records) is a pure package: importing it
loads neither the database layer nor an HTTP framework, so the readers, the command line and
tests use it without either, and nothing in it can write or call out."""

from __future__ import annotations

import subprocess
import sys

IMPURE = ("sqlalchemy", "asyncpg", "aiosqlite", "starlette", "fastapi", "httpx", "uvicorn")


def test_the_records_package_imports_no_database_and_no_http() -> None:
    code = (
        "import sys, authshift.records\n"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({IMPURE!r})))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]", f"records imports {out}"


def test_the_package_keeps_the_names_its_callers_import() -> None:
    from authshift import records

    for name in ("COSE_KEY_PROBLEM", "FieldIssue", "HashPassword", "MIGRATION_STATES", "ParsedRecord", "PlainPassword",
                 "REDACTED", "RecordError", "StructuredPassword", "TotpSecret", "TotpUri", "UserRecord",
                 "WEBAUTHN_TRANSPORTS", "_drop_empty", "parse_datetime", "parse_record", "record_to_json", "redact",
                 "usable_cose_key"):
        assert hasattr(records, name), name
