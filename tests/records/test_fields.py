"""Everything that handles the user record agrees with its one description, ``record_fields.FIELDS``:
the tables hold a column for each field and a field for each column, the validation model has the
same fields in the same order, rows built from a record assemble back into it, export's field list,
the token-exchange mapping settings and the format's documentation are the ones derived from it.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from authshift import config
from authshift.accounts.rows import assemble_record, build_user_rows
from authshift.migration.exports.options import RECORD_FIELDS, SECRET_FIELDS
from authshift.passwords import StoredPassword
from authshift.records import UserRecord, parse_record, record_to_json
from authshift.records import fields as record_fields
from authshift.records.fields import FIELDS, USER_COLUMNS, markdown_table
from authshift.storage.tables import metadata

DOC = Path(__file__).resolve().parents[2] / "docs" / "import-format.md"

NOW = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)

# A record with a value for every field stored on the users and identities rows (the related ones,
# password, identities and mfa, have their own builders and tests; identities is covered here too).
FULL: dict[str, Any] = {
    "id": "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", "external_id": "legacy-1", "source": "shop",
    "email": "Ann@Example.com", "email_verified": True, "phone_number": "+14155550100", "phone_number_verified": False,
    "preferred_username": "ann", "name": "Ann Example", "given_name": "Ann", "family_name": "Example",
    "middle_name": "Q", "nickname": "annie", "picture": "https://example.com/a.png", "profile": "https://example.com/ann",
    "website": "https://ann.example", "gender": "female", "birthdate": "1990-04-01", "zoneinfo": "Europe/Paris",
    "locale": "fr-FR", "address": {"locality": "Paris", "country": "FR"}, "custom_attributes": {"plan": "pro", "n": [1, {}]},
    "roles": ["admin"], "groups": ["beta"], "disabled": True, "disabled_reason": "fraud",
    "created_at": "2020-01-02T03:04:05Z", "last_login_at": "2021-01-02T03:04:05.123456Z",
    "updated_at": "2022-01-02T03:04:05Z", "migration_state": "migrated", "password_migration": "lazy",
    "identities": [{"provider": "google", "subject": "123", "email": "ann@gmail.com"}, {"provider": "apple", "subject": "x"}],
}


def test_the_record_fields_cover_every_field_and_kind() -> None:
    assert {f.name for f in FIELDS} == set(FULL) | {"password", "mfa"}
    assert len({f.name for f in FIELDS}) == len(FIELDS)


def test_the_validation_model_has_the_same_fields_in_the_same_order() -> None:
    assert tuple(UserRecord.model_fields) == tuple(f.name for f in FIELDS)


def test_each_field_is_stored_in_a_column_that_exists_and_each_user_column_is_a_field() -> None:
    tables = metadata.tables
    for f in FIELDS:
        assert f.table in tables, f.name
        if f.kind != "related":
            assert f.col in tables[f.table].c, f"{f.name}: no column {f.table}.{f.col}"
    assert set(USER_COLUMNS) == set(tables["users"].c.keys()), "a users column without a record field, or the reverse"


@pytest.mark.parametrize("password", [None, StoredPassword("bcrypt", "$2b$04$" + "a" * 53)])
def test_rows_built_from_a_record_assemble_back_into_it(password: StoredPassword | None) -> None:
    rec = record_to_json(parse_record(FULL).record)
    rows = build_user_rows(rec, ctx=None, now=NOW, migration_state="imported", stored_password=password)  # type: ignore[arg-type]
    for i, ident in enumerate(rows.identities):  # assemble_record reads identities and users rows as stored
        ident["id"] = i
    user = {**rows.user, "id": uuid.UUID(FULL["id"])}
    back = assemble_record(user, rows.identities, rows.federated, password=rows.password, include_secrets=True)
    expected = dict(rec)
    if password is not None:
        expected["password"] = {"hash": password.value}
        del expected["password_migration"]  # a password stored here ends the legacy system's hold on it
    assert back == expected
    assert list(back) == [f.name for f in FIELDS if f.name in back], "the record's keys come in FIELDS' order"


def test_a_record_with_nothing_takes_the_defaults_of_its_fields() -> None:
    rows = build_user_rows({"external_id": "x"}, ctx=None, now=NOW, migration_state="native", stored_password=None)  # type: ignore[arg-type]
    back = assemble_record(rows.user, [], [])
    assert back == {"id": str(rows.user["id"]), "external_id": "x", "custom_attributes": {}, "roles": [], "groups": [],
                    "disabled": False, "created_at": "2024-01-02T03:04:05Z", "updated_at": "2024-01-02T03:04:05Z",
                    "migration_state": "native"}


def test_export_field_lists_and_token_exchange_settings_come_from_the_fields() -> None:
    assert RECORD_FIELDS == tuple(f.name for f in FIELDS)
    assert SECRET_FIELDS == {"password"} == record_fields.SECRET_FIELDS
    assert config.MAPPABLE_RECORD_FIELDS == {f.name for f in FIELDS if f.mappable}
    assert set(config.DEFAULT_CLAIM_MAPPING) <= config.MAPPABLE_RECORD_FIELDS
    assert "email" not in config.MAPPABLE_RECORD_FIELDS and "custom_attributes" not in config.MAPPABLE_RECORD_FIELDS


def test_the_format_documentation_shows_the_fields_table() -> None:
    text = DOC.read_text(encoding="utf-8")
    match = re.search(r"<!-- record-fields:[^\n]*-->\n(.*?)<!-- /record-fields -->", text, re.S)
    assert match, "docs/import-format.md lost its record-fields markers"
    assert match.group(1) == markdown_table(), (
        "docs/import-format.md's fields table differs from record_fields.FIELDS: paste markdown_table() between the markers"
    )
