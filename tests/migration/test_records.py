"""UserRecord: validation, warnings, absent versus null, secrets kept out of messages, round trip."""

from __future__ import annotations

import copy
import itertools
import json
from datetime import UTC, datetime

import pytest

from authshift.records import (
    FieldIssue,
    HashPassword,
    PlainPassword,
    RecordError,
    StructuredPassword,
    TotpSecret,
    TotpUri,
    UserRecord,
    parse_record,
    record_to_json,
)

BCRYPT = "$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"
TOTP_SECRET = "JBSWY3DPEHPK3PXP"


def issues_of(obj: object, **kwargs: bool) -> dict[str, str]:
    with pytest.raises(RecordError) as caught:
        parse_record(obj, **kwargs)
    return {issue.path: issue.message for issue in caught.value.issues}


def test_a_full_record_is_read_with_every_field() -> None:
    parsed = parse_record({
        "id": "0190A6E2-7C1E-7D3A-9B5E-2F1C3D4E5F60", "external_id": "auth0|abc", "source": "auth0",
        "email": " Jane.Doe@Example.COM ", "email_verified": True, "phone_number": "+1 (415) 555-0100",
        "phone_number_verified": False, "preferred_username": "jane", "name": "Jane Doe", "given_name": "Jane",
        "family_name": "Doe", "middle_name": "Q", "nickname": "jd", "picture": "https://example.com/j.png",
        "profile": "https://example.com/jane", "website": "http://jane.example", "gender": "female",
        "birthdate": "1990-02-28", "zoneinfo": "Europe/Paris", "locale": "fr-FR",
        "address": {"street_address": "1 rue de Rivoli", "locality": "Paris", "postal_code": "75001", "country": "FR"},
        "custom_attributes": {"plan": "pro", "seats": 3, "flags": {"beta": True}}, "roles": ["admin", "editor"],
        "groups": ["/staff"], "disabled": True, "disabled_reason": "left the company",
        "created_at": "2021-01-02T03:04:05+02:00", "last_login_at": "2024-01-01T00:00:00.250Z",
        "updated_at": "2024-01-02T00:00:00", "migration_state": "imported",
        "password": {"hash": BCRYPT, "must_change": True, "expire_at": "2025-01-01T00:00:00Z"},
        "identities": [{"provider": "google", "subject": "1234", "email": "jane@gmail.com"}],
        "mfa": {"totp": [{"secret": TOTP_SECRET}], "email": "jane@example.com", "phone_number": "+33 6 12 34 56 78",
                "recovery_codes": ["aaaa-bbbb", "cccc-dddd"]},
    })
    record = parsed.record
    assert parsed.warnings == ()
    assert record.id == "0190a6e2-7c1e-7d3a-9b5e-2f1c3d4e5f60"
    assert record.email == "Jane.Doe@Example.COM"  # kept as written; matching normalises
    assert record.phone_number == "+14155550100"
    assert record.mfa is not None and record.mfa.phone_number == "+33612345678"
    assert record.created_at == datetime(2021, 1, 2, 1, 4, 5, tzinfo=UTC)
    assert record.updated_at == datetime(2024, 1, 2, tzinfo=UTC)  # no offset means UTC
    assert isinstance(record.password, HashPassword) and record.password.must_change is True
    assert record.password.passwords_object() == {"hash": BCRYPT}
    assert record.address is not None and record.address.locality == "Paris"
    assert record.custom_attributes == {"plan": "pro", "seats": 3, "flags": {"beta": True}}
    totp = record.mfa.totp[0]
    assert isinstance(totp, TotpSecret)
    assert (totp.encoding, totp.algorithm, totp.digits, totp.period) == ("base32", "SHA1", 6, 30)
    assert totp.parameters().secret == b"Hello!\xde\xad\xbe\xef"


def test_unknown_fields_are_warnings_with_their_path_and_are_dropped() -> None:
    parsed = parse_record({
        "email": "a@example.com", "favourite_colour": "blue",
        "address": {"country": "FR", "planet": "Earth"},
        "identities": [{"provider": "github", "subject": "1", "avatar": "x"}],
        "mfa": {"totp": [{"secret": TOTP_SECRET, "label": "phone"}]},
        "password": {"hash": BCRYPT, "note": "old"},
    })
    assert {w.path for w in parsed.warnings} == {
        "favourite_colour", "address.planet", "identities[0].avatar", "mfa.totp[0].label", "password.note"}
    assert all(w.message == "unknown field, ignored" for w in parsed.warnings)
    dumped = record_to_json(parsed.record)
    assert "favourite_colour" not in dumped and dumped["address"] == {"country": "FR"}
    assert dumped["password"] == {"hash": BCRYPT}


def test_unknown_fields_are_still_reported_when_the_record_fails() -> None:
    with pytest.raises(RecordError) as caught:
        parse_record({"email": "nope", "colour": "red"})
    assert caught.value.issues[0].path == "email"
    assert caught.value.warnings == (FieldIssue("colour", "unknown field, ignored"),)


def test_empty_strings_are_absent_at_every_level_but_custom_attributes_keep_them() -> None:
    parsed = parse_record({
        "email": "", "name": "", "given_name": "Ann", "address": {"country": "", "locality": "Oslo"},
        "roles": ["", "admin"], "custom_attributes": {"nickname_at_work": ""},
        "mfa": {"email": "", "recovery_codes": ["", "x1"]},
    })
    record = parsed.record
    assert "email" not in record.model_fields_set and "name" not in record.model_fields_set
    assert record.address is not None and "country" not in record.address.model_fields_set
    assert record.roles == ["admin"]
    assert record.custom_attributes == {"nickname_at_work": ""}
    assert record_to_json(record) == {
        "given_name": "Ann", "address": {"locality": "Oslo"}, "custom_attributes": {"nickname_at_work": ""},
        "roles": ["admin"], "mfa": {"recovery_codes": ["x1"]}}


def test_null_is_kept_apart_from_absent_for_upserts() -> None:
    record = parse_record({"email": "a@example.com", "name": None, "picture": None}).record
    assert {"name", "picture"} <= record.model_fields_set
    assert "nickname" not in record.model_fields_set
    assert record_to_json(record) == {"email": "a@example.com"}
    assert record_to_json(record, keep_nulls=True) == {"email": "a@example.com", "name": None, "picture": None}


@pytest.mark.parametrize(
    ("obj", "path", "fragment"),
    [
        ({"email": 42}, "email", "expected a string"),
        ({"external_id": 123}, "external_id", "expected a string"),
        ({"email_verified": "true"}, "email_verified", "boolean"),
        ({"disabled": 1}, "disabled", "boolean"),
        ({"roles": ["a", 2]}, "roles[1]", "expected a string"),
        ({"roles": "admin"}, "roles", "list"),
        ({"custom_attributes": "plan=pro"}, "custom_attributes", "object"),
        ({"created_at": 1700000000}, "created_at", "not a number"),
        ({"created_at": "yesterday"}, "created_at", "ISO 8601"),
        ({"migration_state": "done"}, "migration_state", "imported"),
        ({"id": "not-a-uuid"}, "id", "UUID"),
        ({"email": "no-at-sign"}, "email", "@"),
        ({"phone_number": "555-0100"}, "phone_number", "international"),
        ({"phone_number": "+1 23"}, "phone_number", "not a valid phone number"),
        ({"preferred_username": "bad\u0000name"}, "preferred_username", "control"),
        ({"picture": "javascript:alert(1)"}, "picture", "http"),
        ({"birthdate": "1990-02-30"}, "birthdate", "calendar"),
        ({"birthdate": "90-1-1"}, "birthdate", "YYYY"),
        ({"birthdate": "0000"}, "birthdate", "0000-MM-DD"),
        ({"zoneinfo": "Mars/Olympus"}, "zoneinfo", "IANA"),
        ({"locale": "english please"}, "locale", "BCP 47"),
        ({"identities": [{"provider": "google"}]}, "identities[0].subject", "required"),
        ({"mfa": {"totp": [{"secret": TOTP_SECRET, "digits": 7}]}}, "mfa.totp[0].digits", "6 or 8"),
        ({"mfa": {"totp": [{"secret": TOTP_SECRET, "algorithm": "MD5"}]}}, "mfa.totp[0].algorithm", "SHA1"),
        ({"mfa": {"totp": [{"secret": TOTP_SECRET, "period": 0}]}}, "mfa.totp[0].period", "greater"),
        ({"mfa": {"totp": ["otpauth://totp/x?secret=AAAA"]}}, "mfa.totp[0]", "secret or uri"),
        ({"mfa": {"email": "x"}}, "mfa.email", "email"),
        ({"password": {"salt": "abc"}}, "password", '{"hash"'),
        ({"password": {"hash": ""}, "email": "a@b.co"}, "password", '{"hash"'),
        ({"password": {"hash": "   "}}, "password.hash", "empty"),
        ({"password": {"hash": BCRYPT, "must_change": "yes"}}, "password.must_change", "boolean"),
        ({"password": {"hash": BCRYPT}, "password_migration": "lazy"}, "password_migration", "exclude"),
        ({"password_migration": "later"}, "password_migration", "lazy"),
    ],
)
def test_each_bad_value_is_reported_at_its_path(obj: dict[str, object], path: str, fragment: str) -> None:
    issues = issues_of(obj)
    assert path in issues, issues
    assert fragment in issues[path]


def test_every_problem_of_a_record_is_listed_at_once() -> None:
    issues = issues_of({"email": "x", "disabled": "no", "mfa": {"totp": [{"secret": TOTP_SECRET, "digits": 9}]}})
    assert set(issues) == {"email", "disabled", "mfa.totp[0].digits"}


def test_a_record_must_be_an_object() -> None:
    assert issues_of(["email", "a@b.co"]) == {"": "a record must be a JSON object"}


@pytest.mark.parametrize("birthdate", ["1990", "1990-02-28", "2000-02-29", "0000-12-25"])
def test_birthdates_in_the_oidc_forms_are_accepted(birthdate: str) -> None:
    assert parse_record({"birthdate": birthdate}).record.birthdate == birthdate


def test_totp_secrets_in_each_encoding_decode_to_the_same_key() -> None:
    key = b"12345678901234567890"
    forms = [
        {"secret": "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", "encoding": "base32"},
        {"secret": "gezd gnbv gy3t qojq gezd gnbv gy3t qojq"},
        {"secret": "MTIzNDU2Nzg5MDEyMzQ1Njc4OTA=", "encoding": "base64"},
        {"secret": "3132333435363738393031323334353637383930", "encoding": "hex"},
        {"uri": "otpauth://totp/ACME:jane@example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=ACME"},
    ]
    for form in forms:
        record = parse_record({"mfa": {"totp": [form]}}).record
        assert record.mfa is not None
        assert record.mfa.totp is not None
        assert record.mfa.totp[0].parameters().secret == key, form


def test_otpauth_uris_give_their_parameters() -> None:
    record = parse_record({"mfa": {"totp": [{"uri": "otpauth://totp/ACME%20Co:jane%40example.com?secret="
                                                    f"{TOTP_SECRET}&issuer=ACME%20Co&algorithm=SHA256&digits=8&period=60"}]}}).record
    assert record.mfa is not None and record.mfa.totp is not None
    factor = record.mfa.totp[0]
    assert isinstance(factor, TotpUri)
    parameters = factor.parameters()
    assert (parameters.algorithm, parameters.digits, parameters.period) == ("SHA256", 8, 60)
    assert parameters.issuer == "ACME Co" and parameters.label == "ACME Co:jane@example.com"


@pytest.mark.parametrize(
    ("uri", "fragment"),
    [
        ("otpauth://hotp/x?secret=JBSWY3DPEHPK3PXP&counter=1", "HOTP"),
        ("otpauth://totp/x?issuer=y", "no secret"),
        ("https://example.com/?secret=JBSWY3DPEHPK3PXP", "otpauth"),
        ("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&digits=7", "6 or 8"),
        ("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&algorithm=MD5", "SHA1"),
        ("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&period=abc", "period"),
    ],
)
def test_bad_otpauth_uris_are_refused(uri: str, fragment: str) -> None:
    issues = issues_of({"mfa": {"totp": [{"uri": uri}]}})
    assert fragment in issues["mfa.totp[0]"]


def test_structured_passwords_keep_their_keys_exactly() -> None:
    given = {"algorithm": "pbkdf2-sha256", "hash": "q1w2e3", "salt": "c2FsdA==", "iterations": 27500,
             "params": {"nested": [1, 2]}, "must_change": False}
    record = parse_record({"password": given}).record
    assert isinstance(record.password, StructuredPassword)
    assert record.password.passwords_object() == {
        "algorithm": "pbkdf2-sha256", "hash": "q1w2e3", "salt": "c2FsdA==", "iterations": 27500,
        "params": {"nested": [1, 2]}}
    assert record_to_json(record)["password"] == given


def test_plain_text_passwords_only_when_the_caller_allows_them() -> None:
    issues = issues_of({"password": "correct horse"})
    assert "not accepted" in issues["password"]
    record = parse_record({"password": "correct horse"}, allow_plaintext_password=True).record
    assert isinstance(record.password, PlainPassword) and record.has_plaintext_password
    assert record.password.plaintext.get_secret_value() == "correct horse"
    forced = parse_record({"password": {"plaintext": "temp-Pass-1", "must_change": True}},
                          allow_plaintext_password=True).record
    assert isinstance(forced.password, PlainPassword) and forced.password.must_change is True


SECRETS = ["Sup3r-Secret-Value", "MFRGGZDFMZTWQ2LK!!", "recov-9911", "$2b$10$abcdefghijklmnopqrstuv"]


@pytest.mark.parametrize(
    "obj",
    [
        {"password": {"hash": "$2b$10$abcdefghijklmnopqrstuv", "expire_at": "Sup3r-Secret-Value"}},
        {"password": "Sup3r-Secret-Value"},
        {"password": {"plaintext": "Sup3r-Secret-Value", "must_change": "Sup3r-Secret-Value"}},
        {"password": {"algorithm": 5, "hash": "Sup3r-Secret-Value"}},
        {"mfa": {"totp": [{"secret": "MFRGGZDFMZTWQ2LK!!"}]}},
        {"mfa": {"totp": [{"secret": "MFRGGZDFMZTWQ2LK!!", "encoding": "hex"}]}},
        {"mfa": {"totp": [{"uri": "otpauth://totp/x?secret=MFRGGZDFMZTWQ2LK!!"}]}},
        {"mfa": {"recovery_codes": ["recov-9911", 7]}},
    ],
)
def test_error_messages_never_repeat_a_secret(obj: dict[str, object]) -> None:
    with pytest.raises(RecordError) as caught:
        parse_record(obj)
    text = str(caught.value) + repr(caught.value.issues) + repr(caught.value.warnings)
    assert caught.value.issues
    for secret in SECRETS:
        assert secret not in text


def test_the_repr_of_a_record_hides_its_secrets() -> None:
    record = parse_record({"password": {"hash": BCRYPT}, "mfa": {"totp": [{"secret": TOTP_SECRET}],
                                                                 "recovery_codes": ["recov-1"]}}).record
    text = repr(record) + str(record)
    assert BCRYPT not in text and TOTP_SECRET not in text and "recov-1" not in text


def test_datetimes_are_written_in_utc_with_z() -> None:
    record = parse_record({"created_at": "2024-03-01T12:00:00-05:00", "last_login_at": "2024-03-01 10:00:00.5+01:00"}).record
    dumped = record_to_json(record)
    assert dumped["created_at"] == "2024-03-01T17:00:00Z"
    assert dumped["last_login_at"] == "2024-03-01T09:00:00.500000Z"


# --------------------------------------------------------------------------- round trip

def population() -> list[dict[str, object]]:
    """Records covering every field and every variant of the nested fields."""
    passwords: list[object] = [
        None, {"hash": BCRYPT}, {"hash": BCRYPT, "must_change": True, "expire_at": "2030-01-01T00:00:00Z"},
        {"algorithm": "firebase_scrypt", "hash": "aGFzaA==", "salt": "c2FsdA==", "hash_config": "default"},
        {"algorithm": "hmac-sha256", "hash": "ab12", "key": "k", "key_encoding": "utf8", "must_change": False},
    ]
    totps: list[object] = [
        None, [{"secret": TOTP_SECRET}],
        [{"secret": "3132333435363738393031323334353637383930", "encoding": "hex", "algorithm": "SHA512", "digits": 8, "period": 60},
         {"uri": f"otpauth://totp/A:b?secret={TOTP_SECRET}&issuer=A"}],
    ]
    claims = [
        {},
        {"name": "Zoë Ångström", "given_name": "Zoë", "family_name": "Ångström", "middle_name": "M", "nickname": "z",
         "picture": "https://example.com/z.png", "profile": "https://example.com/z", "website": "https://z.example",
         "gender": "other", "birthdate": "0000-07-14", "zoneinfo": "Asia/Tokyo", "locale": "ja-JP",
         "address": {"formatted": "1-1 Chiyoda\nTokyo", "country": "JP"}},
    ]
    records = []
    for number, (password, totp, claim) in enumerate(itertools.product(passwords, totps, claims)):
        record: dict[str, object] = {
            "id": f"0190a6e2-7c1e-7d3a-9b5e-{number:012x}", "external_id": f"legacy-{number}",
            "source": ["auth0", "firebase", "native"][number % 3], "email": f"User{number}@Example.com",
            "email_verified": number % 2 == 0, "custom_attributes": {"n": number, "tags": ["a", "b"], "x": None},
            "roles": ["r1"] if number % 2 else [], "groups": ["/g"], "disabled": number % 5 == 0,
            "created_at": f"2020-01-{1 + number % 28:02d}T00:00:00.{number:06d}Z",
            "migration_state": ["imported", "migrated", "native"][number % 3], **claim,
        }
        if number % 4 == 0:
            record.update(phone_number=f"+1415555{number:04d}", phone_number_verified=True,
                          preferred_username=f"user_{number}", last_login_at="2024-01-01T00:00:00Z",
                          updated_at="2024-02-01T00:00:00Z", disabled_reason="test")
        if password is not None:
            record["password"] = password
        elif number % 3 == 0:
            record["password_migration"] = "lazy"
        if totp is not None:
            record["mfa"] = {"totp": totp, "recovery_codes": ["c1", "c2"], "phone_number": "+447700900123",
                             "email": "second@example.com"}
        if number % 2:
            record["identities"] = [{"provider": "google", "subject": str(number)},
                                    {"provider": "github", "subject": "gh", "email": "g@example.com"}]
        records.append(record)
    return records


def test_the_population_is_rich() -> None:
    fields = set()
    for raw in population():
        fields |= set(record_to_json(parse_record(raw).record))
    assert fields == set(UserRecord.model_fields)


@pytest.mark.parametrize("raw", population(), ids=lambda raw: str(raw["external_id"]))
def test_record_to_json_round_trips(raw: dict[str, object]) -> None:
    record = parse_record(copy.deepcopy(raw)).record
    dumped = record_to_json(record)
    again = parse_record(json.loads(json.dumps(dumped))).record
    assert again == record
    assert record_to_json(again) == dumped
