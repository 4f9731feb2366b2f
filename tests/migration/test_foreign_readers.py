"""Every foreign reader against a sample file written the way that system writes it.

Passwords are checked with the producing libraries (bcrypt, Django's hashers, argon2-cffi,
hashlib, Firebase's modified scrypt recomputed), so a mapping that loses or garbles a hash
parameter fails here, before any login exists.
"""

from __future__ import annotations

import base64
import csv
import gzip
import hashlib
import hmac
import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import argon2
import bcrypt
import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.contrib.auth.hashers import (
    Argon2PasswordHasher,
    BCryptSHA256PasswordHasher,
    MD5PasswordHasher,
    PBKDF2PasswordHasher,
)
from passlib.crypto._md4 import md4 as passlib_md4

from authshift.migration.formats import FORMATS, SourceFormatError, SourceItem, SourceOptions, get_reader
from authshift.records import (
    HashPassword,
    ParsedRecord,
    StructuredPassword,
    UserRecord,
)

SAMPLES = Path(__file__).parent / "samples"
PASSWORDS = {
    "alice": "Alice-auth0-1!", "carol": "Carol-auth0-3!", "erin": "Erin-bcrypt-5", "frank": "Frank-sha256-6",
    "grace": "Grace-hmac-7", "heidi": "Heidi-pbkdf2-8", "ivan": "Ivan-argon2-9", "judy": "Judy-md4-10",
    "ken": "Ken-firebase-11",
    "lena": "Léna-firebase-12", "mallory": "Mallory-pbkdf2-13", "niaj": "Niaj-argon2-14",
    "olivia": "Olivia-bcrypt-15", "peggy": "Peggy-md5-16", "quentin": "Quentin-kc-17", "rupert": "Rupert-kc-18",
    "sybil": "Sybil-kc-19", "trent": "Trent-supabase-20", "uma": "Uma-supabase-21",
}


def read_items(fmt: str, source: str | bytes, **options: Any) -> list[SourceItem]:
    data = source if isinstance(source, bytes) else (SAMPLES / source).read_bytes()
    return list(get_reader(fmt)(io.BytesIO(data), options=SourceOptions(**options)))


def parsed(items: list[SourceItem]) -> list[ParsedRecord]:
    return [item.parse() for item in items if item.ok]


def records(fmt: str, source: str | bytes, **options: Any) -> list[UserRecord]:
    return [p.record for p in parsed(read_items(fmt, source, **options))]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def hash_of(record: UserRecord) -> str:
    assert isinstance(record.password, HashPassword)
    return record.password.hash.get_secret_value()


def structured(record: UserRecord) -> dict[str, Any]:
    assert isinstance(record.password, StructuredPassword)
    return record.password.passwords_object()


def test_every_format_is_registered() -> None:
    assert set(FORMATS) == {"native", "auth0", "firebase", "django", "keycloak", "cognito", "supabase", "kratos", "fusionauth"}
    with pytest.raises(ValueError, match="choose one of"):
        get_reader("okta")


# --------------------------------------------------------------------------- Auth0

def test_auth0_user_export_joined_with_the_password_hash_export() -> None:
    items = read_items("auth0", "auth0-users.ndjson", password_hashes=SAMPLES / "auth0-password-hashes.ndjson")
    alice, bob, carol, dave = (item.parse() for item in items)
    assert [item.line for item in items] == [1, 2, 3, 4]
    a = alice.record
    assert (a.external_id, a.source, a.email, a.email_verified) == ("auth0|6123a1b2c3d4e5f6a7b8c9d0", "auth0", "alice@example.com", True)
    assert (a.name, a.given_name, a.family_name, a.nickname) == ("Alice Liddell", "Alice", "Liddell", "alice")
    assert a.created_at == utc(2021, 9, 3, 10, 12, 33, 104000)
    assert a.last_login_at == utc(2024, 2, 11, 8, 1, 9, 498000)
    assert a.custom_attributes == {"app_metadata": {"plan": "pro", "roles": ["editor"]}, "user_metadata": {"theme": "dark"}}
    assert a.identities is None  # the database identity is the user itself
    assert bcrypt.checkpw(PASSWORDS["alice"].encode(), hash_of(a).encode())
    assert alice.warnings == ()  # logins_count, last_ip: Auth0 bookkeeping, documented as not carried
    b = bob.record
    assert b.password is None and b.password_migration is None
    assert b.identities is not None and [(i.provider, i.subject) for i in b.identities] == [("google-oauth2", "109876543210987654321")]
    c = carol.record
    assert (c.disabled, c.disabled_reason, c.preferred_username) == (True, "blocked in Auth0", "carol")
    assert (c.phone_number, c.phone_number_verified) == ("+14155550123", True)
    assert bcrypt.checkpw(PASSWORDS["carol"].encode(), hash_of(c).encode())
    d = dave.record
    assert d.password is None and d.password_migration == "lazy"
    assert {w.path for w in dave.warnings} == {"password", "multifactor"}


def test_auth0_without_the_hash_export_marks_database_users_for_lazy_migration() -> None:
    result = {r.external_id: r for r in records("auth0", "auth0-users.ndjson", missing_password="reset")}
    assert result["auth0|6123a1b2c3d4e5f6a7b8c9d0"].password_migration == "reset"
    assert result["google-oauth2|109876543210987654321"].password_migration is None


def test_auth0_hashes_join_by_email_when_the_object_id_is_missing(tmp_path: Path) -> None:
    hash_file = tmp_path / "hashes.json"
    hashed = bcrypt.hashpw(b"x", bcrypt.gensalt(4)).decode()
    hash_file.write_text(
        json.dumps({"_id": {"$oid": "ffffffffffffffffffffffff"}, "email": "ALICE@example.com", "passwordHash": hashed}) + "\n"
        + json.dumps({"_id": {"$oid": "eeeeeeeeeeeeeeeeeeeeeeee"}, "email": "dave@example.com", "passwordHash": hashed}) + "\n"
        + json.dumps({"_id": {"$oid": "dddddddddddddddddddddddd"}, "email": "dave@example.com", "passwordHash": hashed}) + "\n"
        + "{broken\n")
    items = {item.obj["email"] if item.obj else None: item.parse() for item in
             read_items("auth0", "auth0-users.ndjson", password_hashes=hash_file)}
    assert hash_of(items["alice@example.com"].record) == hashed
    dave = items["dave@example.com"]
    assert dave.record.password is None and dave.record.password_migration == "lazy"
    assert any("several entries" in w.message for w in dave.warnings)


def test_auth0_hash_export_problems_stop_the_job_before_it_starts(tmp_path: Path) -> None:
    with pytest.raises(SourceFormatError, match="cannot read"):
        read_items("auth0", "auth0-users.ndjson", password_hashes=tmp_path / "missing.json")
    (tmp_path / "nohash.json").write_text('{"_id": {"$oid": "6123a1b2c3d4e5f6a7b8c9d0"}, "email": "a@example.com"}\n')
    with pytest.raises(SourceFormatError, match="no usable line"):
        read_items("auth0", "auth0-users.ndjson", password_hashes=tmp_path / "nohash.json")
    (tmp_path / "pretty.json").write_text('{\n  "passwordHash": "x"\n}\n')
    with pytest.raises(SourceFormatError, match="NDJSON"):
        read_items("auth0", "auth0-users.ndjson", password_hashes=tmp_path / "pretty.json")


def test_auth0_gzipped_export_and_bad_lines() -> None:
    lines = (SAMPLES / "auth0-users.ndjson").read_bytes().splitlines()
    data = gzip.compress(b"\n".join([lines[0], b'{"user_id": "auth0|x", "email": ', lines[1]]) + b"\n")
    items = read_items("auth0", data)
    assert [(item.line, item.ok) for item in items] == [(1, True), (2, False), (3, True)]
    assert "broken JSON" in items[1].errors[0].message


def test_auth0_bulk_import_schema_with_custom_password_hashes_and_mfa() -> None:
    items = read_items("auth0", "auth0-bulk-import.json")
    by_email = {item.obj["email"]: item for item in items if item.obj}
    erin = by_email["erin@example.org"].parse().record
    assert erin.external_id == "auth0|5f8a1b2c3d4e5f6a7b8c9d01"  # Auth0 prefixes the connection strategy
    assert bcrypt.checkpw(PASSWORDS["erin"].encode(), hash_of(erin).encode())
    assert erin.mfa is not None and erin.mfa.phone_number == "+33612345678" and erin.mfa.totp is not None
    totp_secret = json.loads((SAMPLES / "totp-secrets.json").read_text())["auth0-bulk:erin"]["secret"]
    assert erin.mfa.totp[0].parameters().secret == base64.b32decode(totp_secret)

    frank = structured(by_email["frank@example.org"].parse().record)
    assert frank == {"algorithm": "sha256", "hash": frank["hash"], "hash_encoding": "base64", "salt": frank["salt"],
                     "salt_encoding": "utf8", "salt_position": "prefix", "password_encoding": "utf8"}
    assert base64.b64decode(frank["hash"]) == hashlib.sha256((frank["salt"] + PASSWORDS["frank"]).encode()).digest()

    grace = structured(by_email["grace@example.org"].parse().record)
    assert grace["algorithm"] == "hmac-sha256" and grace["key_encoding"] == "utf8"
    assert grace["hash"] == hmac.new(grace["key"].encode(), PASSWORDS["grace"].encode(), "sha256").hexdigest()

    heidi = hash_of(by_email["heidi@example.org"].parse().record)
    _, scheme, params, salt, digest = heidi.split("$")
    iterations = int(dict(p.split("=") for p in params.split(","))["i"])
    assert scheme == "pbkdf2-sha256"
    assert hashlib.pbkdf2_hmac("sha256", PASSWORDS["heidi"].encode(), base64.b64decode(salt + "=="), iterations, 32) \
        == base64.b64decode(digest + "==")

    ivan = hash_of(by_email["ivan@example.org"].parse().record)
    assert argon2.PasswordHasher().verify(ivan, PASSWORDS["ivan"])

    judy = structured(by_email["judy@example.org"].parse().record)  # Auth0's md4: MD4 of the password
    assert judy["algorithm"] == "md4"
    assert judy["hash"] == passlib_md4(PASSWORDS["judy"].encode()).hexdigest()


@pytest.mark.parametrize(
    ("chp", "expected"),
    [
        ({"algorithm": "sha1", "hash": {"value": "00ff", "encoding": "hex"}, "password": {"encoding": "ucs2"}},
         {"algorithm": "sha1", "hash": "00ff", "hash_encoding": "hex", "password_encoding": "utf16le"}),
        ({"algorithm": "md5", "hash": {"value": "AA==", "encoding": "base64"},
          "salt": {"value": "c2FsdA==", "encoding": "base64", "position": "suffix"}, "password": {"encoding": "ascii"}},
         {"algorithm": "md5", "hash": "AA==", "hash_encoding": "base64", "salt": "c2FsdA==", "salt_encoding": "base64",
          "salt_position": "suffix", "password_encoding": "latin1"}),
        ({"algorithm": "scrypt", "hash": {"value": "abcd", "encoding": "hex"}, "salt": {"value": "s", "encoding": "utf8"},
          "keylen": 2, "cost": 1024, "blockSize": 8, "parallelization": 2},
         {"algorithm": "scrypt", "hash": "abcd", "hash_encoding": "hex", "salt": "s", "salt_encoding": "utf8",
          "n": 1024, "r": 8, "p": 2}),
        ({"algorithm": "ldap", "hash": {"value": "{SSHA}abc", "encoding": "utf8"}}, {"hash": "{SSHA}abc"}),
    ],
)
def test_auth0_custom_password_hash_mapping(chp: dict[str, Any], expected: dict[str, Any]) -> None:
    data = json.dumps([{"email": "x@example.com", "custom_password_hash": chp}]).encode()
    (record,) = records("auth0", data)
    assert record.password is not None
    assert record.password.passwords_object() == expected


@pytest.mark.parametrize(
    ("chp", "fragment"),
    [
        ({"algorithm": "hmac", "hash": {"value": "00", "encoding": "hex", "digest": "whirlpool", "key": {"value": "k"}}}, "whirlpool"),
        ({"algorithm": "sha256", "hash": {"value": "00", "encoding": "utf8"}}, "hash.encoding"),
        ({"algorithm": "sha256", "hash": {"value": "00"}, "salt": {"value": "x", "position": "middle"}}, "middle"),
        ({"algorithm": "sha256", "hash": {"value": "00"}, "password": {"encoding": "ebcdic"}}, "ebcdic"),
        ({"algorithm": "crc32", "hash": {"value": "00"}}, "crc32"),
        ({"algorithm": "bcrypt"}, "hash must be an object"),
        ({"algorithm": "bcrypt", "hash": {"encoding": "utf8"}}, "hash.value is missing"),
    ],
)
def test_auth0_unusable_custom_password_hashes_fail_the_record(chp: dict[str, Any], fragment: str) -> None:
    data = json.dumps([{"email": "x@example.com", "custom_password_hash": chp}, {"email": "y@example.com"}]).encode()
    first, second = read_items("auth0", data)
    assert not first.ok and fragment in first.errors[0].message
    assert second.ok  # the next user is not affected


def test_auth0_unknown_fields_are_warnings() -> None:
    data = b'{"user_id": "google-oauth2|1", "email": "a@example.com", "favourite": 1, "user_metadata.plan": "pro"}\n'
    (item,) = read_items("auth0", data)
    result = item.parse()
    assert [w.path for w in result.warnings] == ["favourite"]
    assert result.record.custom_attributes == {"user_metadata": {"plan": "pro"}}


# --------------------------------------------------------------------------- Firebase

def firebase_hash(password: str, salt_b64: str) -> str:
    config = json.loads((SAMPLES / "firebase-hash-config.json").read_text())
    derived = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt_b64) + base64.b64decode(config["base64_salt_separator"]),
                             n=1 << config["mem_cost"], r=config["rounds"], p=1, dklen=64)
    encryptor = Cipher(algorithms.AES(derived[:32]), modes.CTR(b"\0" * 16)).encryptor()
    return base64.b64encode(encryptor.update(base64.b64decode(config["base64_signer_key"])) + encryptor.finalize()).decode()


@pytest.mark.parametrize("sample", ["firebase-users.json", "firebase-users.csv"])
def test_firebase_auth_export(sample: str) -> None:
    ken, lena, phone_user = records("firebase", sample, hash_config_name="prod")
    assert (ken.external_id, ken.source, ken.email, ken.email_verified, ken.name) == (
        "kP4yF1mXfQe3vT9wZ2aB7cD0eF12", "firebase", "ken@example.net", True, "Ken Adams")
    assert ken.picture == "https://example.net/ken.png"
    assert ken.created_at == utc(2021, 9, 7, 7, 33, 20, 456000)
    assert ken.last_login_at == utc(2024, 2, 11, 8, 26, 40, 123000)
    assert ken.custom_attributes == {"admin": True, "tier": "gold"}  # the JSON string, decoded
    password = structured(ken)
    assert set(password) == {"algorithm", "hash", "salt", "hash_config"}
    assert (password["algorithm"], password["hash_config"]) == ("firebase_scrypt", "prod")
    assert firebase_hash(PASSWORDS["ken"], password["salt"]) == password["hash"]
    assert firebase_hash(PASSWORDS["lena"], structured(lena)["salt"]) == structured(lena)["hash"]
    assert lena.name == "Léna Dupont"
    assert lena.identities is not None
    assert [(i.provider, i.subject, i.email) for i in lena.identities] == [("google.com", "118234567890123456789", "lena.dupont@gmail.com")]
    assert (phone_user.phone_number, phone_user.phone_number_verified, phone_user.disabled) == ("+447700900123", True, True)
    assert phone_user.password is None and phone_user.email is None


def _firebase_rows_in_layout(layout: tuple[str, ...]) -> bytes:
    """The sample CSV (firebase-tools' 29-field rows) rewritten in an older or newer layout by
    column name, as that firebase-tools version would have written the same users."""
    from authshift.migration.formats.firebase.reader import CSV_LAYOUTS

    current = CSV_LAYOUTS["29 fields"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for row in csv.reader(io.StringIO((SAMPLES / "firebase-users.csv").read_text(encoding="utf-8"))):
        cells = dict(zip(current, row, strict=True))
        writer.writerow([cells.get(name, "") for name in layout])
    return out.getvalue().encode()


@pytest.mark.parametrize("layout", ["28 fields (2017-2018)", "28 fields (2020)", "53 fields"])
def test_firebase_csv_layouts_of_other_firebase_tools_versions_read_the_same_users(layout: str) -> None:
    from authshift.migration.formats.firebase.reader import CSV_LAYOUTS

    columns = CSV_LAYOUTS[layout]
    data = _firebase_rows_in_layout(columns)
    assert {len(row) for row in csv.reader(io.StringIO(data.decode()))} == {len(columns)}
    got = [item.parse().record for item in read_items("firebase", data, hash_config_name="prod")]
    expected = records("firebase", "firebase-users.csv", hash_config_name="prod")
    if "customAttributes" not in columns:  # older firebase-tools did not export custom claims
        expected = [r.model_copy(update={"custom_attributes": None}) for r in expected]
    assert [r.model_dump() for r in got] == [r.model_dump() for r in expected]
    ken = got[0]
    assert ken.created_at == utc(2021, 9, 7, 7, 33, 20, 456000) and ken.last_login_at == utc(2024, 2, 11, 8, 26, 40, 123000)
    assert (got[2].phone_number, got[2].disabled) == ("+447700900123", True)


def test_a_firebase_csv_row_of_another_field_count_fails_with_the_reason() -> None:
    good = (SAMPLES / "firebase-users.csv").read_bytes().splitlines()[0]
    items = read_items("firebase", good + b"\n" + good.rstrip(b",") + b",extra,\n" + good + b"\n")
    assert [item.ok for item in items] == [True, False, True]
    assert items[1].line == 2 and "30 fields" in items[1].errors[0].message and "28" in items[1].errors[0].message


def test_firebase_custom_claims_that_are_not_json_are_kept_with_a_warning() -> None:
    data = b'{"users": [{"localId": "u1", "email": "a@example.com", "customAttributes": "{not json", "tenantId": "t"}]}'
    (item,) = read_items("firebase", data)
    result = item.parse()
    assert result.record.custom_attributes == {"customAttributes": "{not json"}
    assert [w.path for w in result.warnings] == ["customAttributes"]


def test_firebase_files_without_users_are_refused() -> None:
    with pytest.raises(SourceFormatError, match='"users"'):
        read_items("firebase", b'{\n"accounts": []\n}')


# --------------------------------------------------------------------------- Django

def test_django_dumpdata() -> None:
    items = read_items("django", "django-users.json")
    mallory, niaj, olivia, peggy, trudy = (item.parse() for item in items)
    m = mallory.record
    assert (m.external_id, m.source, m.preferred_username, m.email, m.given_name, m.family_name) == (
        "1", "django", "mallory", "mallory@example.com", "Mallory", "Malice")
    assert m.groups == ["1", "2"]
    assert m.custom_attributes == {"is_staff": True, "is_superuser": True}
    assert m.created_at == utc(2019, 4, 1, 9, 30, 15, 123000)
    assert m.last_login_at == utc(2024, 1, 10, 18, 0, 0)
    assert m.disabled is False
    assert PBKDF2PasswordHasher().verify(PASSWORDS["mallory"], hash_of(m))
    assert Argon2PasswordHasher().verify(PASSWORDS["niaj"], hash_of(niaj.record))
    o = olivia.record
    assert BCryptSHA256PasswordHasher().verify(PASSWORDS["olivia"], hash_of(o))
    assert (o.disabled, o.disabled_reason, o.email, o.last_login_at) == (True, "inactive in Django", None, None)
    assert niaj.record.family_name is None  # "" in the dump = absent
    assert MD5PasswordHasher().verify(PASSWORDS["peggy"], hash_of(peggy.record))
    assert trudy.record.password is None
    assert [w.path for w in trudy.warnings] == ["fields.password"]


def test_django_natural_keys_jsonl_and_other_models() -> None:
    lines = [
        {"model": "auth.user", "fields": {"username": "zed", "password": "", "groups": [["editors"], ["staff"]],
                                          "is_active": True, "date_joined": "2020-01-01T00:00:00Z", "phone": "+1"}},
        {"model": "auth.group", "pk": 1, "fields": {"name": "editors"}},
        {"model": "accounts.user", "pk": 3, "fields": {"username": "amy"}},
    ]
    data = b"\n".join(json.dumps(line).encode() for line in lines) + b"\n"
    zed, group, custom = read_items("django", data)
    record = zed.parse().record
    assert (record.external_id, record.groups, record.password) == ("zed", ["editors", "staff"], None)
    assert record.custom_attributes == {"phone": "+1"}  # custom user model fields are the app's data
    assert not group.ok and "auth.user" in group.errors[0].message
    assert not custom.ok
    (amy,) = records("django", json.dumps([lines[2]]).encode(), django_model="accounts.User")
    assert amy.preferred_username == "amy"


# --------------------------------------------------------------------------- Keycloak

def test_keycloak_realm_export() -> None:
    items = read_items("keycloak", "keycloak-realm.json")
    quentin, rupert, sybil = (item.parse() for item in items[:3])
    q = quentin.record
    assert (q.external_id, q.source, q.preferred_username, q.email, q.email_verified) == (
        "0b6c8f4e-2d3a-4b5c-9d8e-7f6a5b4c3d21", "keycloak", "quentin", "quentin@example.io", True)
    assert (q.given_name, q.family_name, q.locale, q.disabled) == ("Quentin", "Blake", "de", False)
    assert q.created_at == utc(2023, 1, 1, 0, 0, 0, 123000)
    assert q.custom_attributes == {"department": "research", "cost_center": ["4711", "4712"]}
    assert q.roles == ["default-roles-acme", "offline_access", "billing-app:invoice-reader"]
    assert q.groups == ["/staff/research"]
    pbkdf2 = structured(q)
    assert (pbkdf2["algorithm"], pbkdf2["iterations"]) == ("pbkdf2-sha256", 27500)
    assert hashlib.pbkdf2_hmac("sha256", PASSWORDS["quentin"].encode(), base64.b64decode(pbkdf2["salt"]), 27500, 64) \
        == base64.b64decode(pbkdf2["hash"])
    assert quentin.warnings == ()

    r = rupert.record
    assert (r.disabled, r.email_verified) == (True, False)
    assert r.password is not None and r.password.must_change is True  # requiredActions UPDATE_PASSWORD
    sha512 = structured(r)
    assert hashlib.pbkdf2_hmac("sha512", PASSWORDS["rupert"].encode(), base64.b64decode(sha512["salt"]),
                               sha512["iterations"], 64) == base64.b64decode(sha512["hash"])
    assert r.identities is not None and [(i.provider, i.subject, i.email) for i in r.identities] == [("github", "5812345", None)]

    s = sybil.record
    assert argon2.PasswordHasher().verify(hash_of(s), PASSWORDS["sybil"])  # Keycloak's raw argon2, as PHC
    assert s.mfa is not None and s.mfa.totp is not None
    text_secret = json.loads((SAMPLES / "totp-secrets.json").read_text())["keycloak:sybil"]["secret"]
    parameters = s.mfa.totp[0].parameters()
    assert (parameters.secret, parameters.algorithm, parameters.digits, parameters.period) == (text_secret.encode(), "SHA1", 6, 30)

    service = items[3]
    assert not service.ok and service.errors[0].path == "serviceAccountClientId"


def keycloak_user(**fields: Any) -> bytes:
    user = {"id": "u1", "username": "u", "enabled": True, **fields}
    return json.dumps({"realm": "r", "users": [user, {"id": "u2", "username": "next"}]}).encode()


@pytest.mark.parametrize(
    ("credentials", "fragment"),
    [
        ([{"type": "password", "secretData": "{broken", "credentialData": "{}"}], "not valid JSON"),
        ([{"type": "password", "secretData": '{"value": "AA==", "salt": "AA=="}',
           "credentialData": '{"algorithm": "sha256-custom", "hashIterations": 1}'}], "sha256-custom"),
        ([{"type": "password", "secretData": '{"value": "AA=="}',
           "credentialData": '{"algorithm": "pbkdf2-sha256", "hashIterations": 1}'}], "salt"),
    ],
)
def test_keycloak_credentials_that_cannot_be_used_fail_the_user_only(credentials: list[Any], fragment: str) -> None:
    first, second = read_items("keycloak", keycloak_user(credentials=credentials))
    assert not first.ok and fragment in first.errors[0].message
    assert first.errors[0].path == "credentials[0]"
    assert second.ok


def test_keycloak_federated_users_and_other_credentials() -> None:
    data = keycloak_user(federationLink="ldap-1", credentials=[
        {"type": "webauthn", "credentialData": "{}"},
        {"type": "otp", "secretData": '{"value": "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"}',
         "credentialData": '{"subType": "totp", "digits": 8, "period": 60, "algorithm": "HmacSHA256", "secretEncoding": "BASE32"}'},
        {"type": "otp", "secretData": '{"value": "abc"}', "credentialData": '{"subType": "hotp", "counter": 3}'},
    ], requiredActions=["CONFIGURE_TOTP"], brandNewField=1)
    result = read_items("keycloak", data)[0].parse()
    record = result.record
    assert record.password_migration == "lazy"  # the password lives in LDAP
    assert record.mfa is not None and record.mfa.totp is not None and len(record.mfa.totp) == 1
    parameters = record.mfa.totp[0].parameters()
    assert (parameters.secret, parameters.digits, parameters.algorithm) == (b"12345678901234567890", 8, "SHA256")
    assert [w.path for w in result.warnings] == ["credentials[0]", "credentials[2]", "requiredActions", "brandNewField"]


def test_keycloak_documents_without_users_are_refused() -> None:
    with pytest.raises(SourceFormatError, match='"users"'):
        read_items("keycloak", b'{\n  "realm" : "acme",\n  "clients" : [ ]\n}')


# --------------------------------------------------------------------------- Cognito

def test_cognito_user_csv() -> None:
    items = read_items("cognito", "cognito-users.csv")
    victor, wendy, xavier = (item.parse() for item in items)
    v = victor.record
    assert (v.external_id, v.source, v.email, v.email_verified, v.phone_number, v.phone_number_verified) == (
        "7d1e5a2c-9b3f-4c8d-a1e6-2f4b8c9d0e13", "cognito", "victor@example.fr", True, "+33612345670", True)
    assert v.preferred_username is None  # the username is a generated id
    assert (v.birthdate, v.zoneinfo, v.locale) == ("1802-02-26", "Europe/Paris", "fr-FR")
    assert v.address is not None and v.address.formatted == "6 Place des Vosges, 75004 Paris"
    assert v.updated_at == utc(2024, 1, 23, 8, 53, 20)
    assert v.custom_attributes == {"cognito:username": "7d1e5a2c-9b3f-4c8d-a1e6-2f4b8c9d0e13", "tier": "gold", "tenant_id": "t-42"}
    assert v.mfa is not None and v.mfa.phone_number == "+33612345670"
    assert all(r.record.password is None and r.record.password_migration == "lazy" for r in (victor, wendy, xavier))
    w = wendy.record
    assert (w.preferred_username, w.email_verified, w.phone_number_verified, w.birthdate) == ("wendy", False, False, None)
    assert w.custom_attributes is not None and w.custom_attributes["birthdate"] == "02/01/1985"
    assert [x.path for x in wendy.warnings] == ["birthdate"]
    assert xavier.record.preferred_username is None and xavier.record.email_verified is True
    assert [item.line for item in items] == [2, 3, 4]


def test_cognito_needs_its_csv_header() -> None:
    with pytest.raises(SourceFormatError, match="cognito:username"):
        read_items("cognito", b"email,name\na@example.com,A\n")


# --------------------------------------------------------------------------- Supabase

@pytest.mark.parametrize("sample", ["supabase-users.csv", "supabase-users.json"])
def test_supabase_auth_users(sample: str) -> None:
    items = read_items("supabase", sample)
    trent, uma, oauth = (item.parse().record for item in items[:3])
    assert (trent.external_id, trent.source, trent.email, trent.email_verified) == (
        "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d", "supabase", "trent@example.dev", True)
    assert bcrypt.checkpw(PASSWORDS["trent"].encode(), hash_of(trent).encode())
    assert hash_of(trent).startswith("$2a$10$")
    assert (trent.name, trent.picture) == ("Trent Reznor", "https://example.dev/t.png")
    assert trent.created_at == utc(2023, 5, 1, 10, 0, 0, 1)
    assert trent.last_login_at == utc(2024, 2, 1, 7, 45, 12, 987654)
    assert (uma.phone_number, uma.phone_number_verified, uma.email_verified) == ("+15551234567", True, False)
    assert uma.disabled is True and uma.disabled_reason is not None and "2999" in uma.disabled_reason
    assert bcrypt.checkpw(PASSWORDS["uma"].encode(), hash_of(uma).encode())
    assert oauth.password is None and oauth.name == "Victor O"
    assert oauth.custom_attributes is not None and oauth.custom_attributes["app_metadata"]["provider"] == "github"
    deleted = items[3]
    assert not deleted.ok and deleted.errors[0].path == "deleted_at"
    for item in items:  # one-time tokens never travel
        assert item.obj is None or not any("token" in key for key in item.obj)


def test_supabase_csv_and_json_exports_give_the_same_users() -> None:
    assert records("supabase", "supabase-users.csv") == records("supabase", "supabase-users.json")


def test_supabase_past_bans_are_not_carried_and_unknown_columns_are_warned() -> None:
    data = b"id,email,banned_until,mystery\nu1,a@example.com,2001-01-01 00:00:00+00,1\n"
    (item,) = read_items("supabase", data)
    result = item.parse()
    assert result.record.disabled is None
    assert [w.path for w in result.warnings] == ["mystery"]


# --------------------------------------------------------------------------- all readers

@pytest.mark.parametrize(
    ("fmt", "sample"),
    [("auth0", "auth0-users.ndjson"), ("auth0", "auth0-bulk-import.json"), ("firebase", "firebase-users.json"),
     ("firebase", "firebase-users.csv"), ("django", "django-users.json"), ("keycloak", "keycloak-realm.json"),
     ("cognito", "cognito-users.csv"), ("supabase", "supabase-users.csv"), ("supabase", "supabase-users.json")],
)
def test_every_sample_record_is_accounted_for(fmt: str, sample: str) -> None:
    """Each item either parses or fails with a stated reason; indexes are consecutive."""
    items = read_items(fmt, sample)
    assert [item.index for item in items] == list(range(1, len(items) + 1))
    for item in items:
        if item.ok:
            assert item.parse().record.source == fmt
        else:
            assert item.errors and all(issue.message for issue in item.errors)


def test_passwords_package_accepts_every_mapped_password() -> None:
    """Once authshift.passwords is merged, every password object a reader writes must parse."""
    passwords = pytest.importorskip("authshift.passwords")
    parse = getattr(passwords, "parse", None)
    if parse is None:
        pytest.skip("authshift.passwords has no parse() yet")
    samples = [("auth0", "auth0-bulk-import.json"), ("firebase", "firebase-users.json"), ("django", "django-users.json"),
               ("keycloak", "keycloak-realm.json"), ("supabase", "supabase-users.csv")]
    for fmt, sample in samples:
        for record in records(fmt, sample):
            if record.password is not None and not record.has_plaintext_password:
                parse(record.password.passwords_object())  # type: ignore[union-attr]
