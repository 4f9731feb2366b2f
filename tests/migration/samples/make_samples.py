"""Regenerate the sample export files of tests/migration/samples/ (run from the repository root):

    PYTHONPATH=src /work/venv/bin/python tests/migration/samples/make_samples.py

Each file has the layout its system writes (field names, casing, nesting, JSON-in-strings);
every hash is computed by the real producing library (bcrypt, Django's hashers, argon2-cffi,
hashlib, Firebase's modified scrypt) from the plaintext listed in README.md. Salts are random,
so a run rewrites the hashes: the tests read the files, they do not hard-code hashes.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import hmac
import io
import json
import os
import secrets
import tempfile
from datetime import UTC
from pathlib import Path

import bcrypt
from argon2.low_level import Type, hash_secret, hash_secret_raw
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from passlib.crypto._md4 import md4 as passlib_md4  # an MD4 independent of authshift's

HERE = Path(__file__).resolve().parent

# The plaintext of every sample user (README.md repeats this table).
PASSWORDS = {
    "auth0:alice": "Alice-auth0-1!",
    "auth0:carol": "Carol-auth0-3!",
    "auth0-bulk:erin": "Erin-bcrypt-5",
    "auth0-bulk:frank": "Frank-sha256-6",
    "auth0-bulk:grace": "Grace-hmac-7",
    "auth0-bulk:heidi": "Heidi-pbkdf2-8",
    "auth0-bulk:ivan": "Ivan-argon2-9",
    "auth0-bulk:judy": "Judy-md4-10",
    "firebase:ken": "Ken-firebase-11",
    "firebase:lena": "Léna-firebase-12",
    "django:mallory": "Mallory-pbkdf2-13",
    "django:niaj": "Niaj-argon2-14",
    "django:olivia": "Olivia-bcrypt-15",
    "django:peggy": "Peggy-md5-16",
    "keycloak:quentin": "Quentin-kc-17",
    "keycloak:rupert": "Rupert-kc-18",
    "keycloak:sybil": "Sybil-kc-19",
    "supabase:trent": "Trent-supabase-20",
    "supabase:uma": "Uma-supabase-21",
}

FIREBASE_HASH_CONFIG = {
    "algorithm": "SCRYPT",
    "base64_signer_key": base64.b64encode(secrets.token_bytes(64)).decode(),
    "base64_salt_separator": "Bw==",
    "rounds": 8,
    "mem_cost": 14,
}
TOTP_SECRETS = {name: base64.b32encode(secrets.token_bytes(20)).decode() for name in ("erin", "sybil")}


def bcrypt_hash(password: str, prefix: bytes = b"2b", rounds: int = 10) -> str:
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds, prefix=prefix)).decode()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def b64_nopad(data: bytes) -> str:
    return b64(data).rstrip("=")


# --------------------------------------------------------------------------- Auth0

def auth0_files() -> None:
    alice_oid, carol_oid, dave_oid = "6123a1b2c3d4e5f6a7b8c9d0", "6123a1b2c3d4e5f6a7b8c9d1", "6123a1b2c3d4e5f6a7b8c9d2"
    export = [
        {"user_id": f"auth0|{alice_oid}", "email": "alice@example.com", "email_verified": True,
         "name": "Alice Liddell", "given_name": "Alice", "family_name": "Liddell", "nickname": "alice",
         "picture": "https://s.gravatar.com/avatar/0bc83cb571cd1c50ba6f3e8a78ef1346?s=480&r=pg&d=https%3A%2F%2Fcdn.auth0.com%2Favatars%2Fal.png",
         "created_at": "2021-09-03T10:12:33.104Z", "updated_at": "2024-02-11T08:01:09.512Z",
         "last_login": "2024-02-11T08:01:09.498Z", "logins_count": 57, "last_ip": "203.0.113.17",
         "identities": [{"connection": "Username-Password-Authentication", "user_id": alice_oid,
                         "provider": "auth0", "isSocial": False}],
         "user_metadata": {"theme": "dark"}, "app_metadata": {"plan": "pro", "roles": ["editor"]}},
        {"user_id": "google-oauth2|109876543210987654321", "email": "bob@gmail.com", "email_verified": True,
         "name": "Bob Martin", "given_name": "Bob", "family_name": "Martin", "nickname": "bob.martin",
         "picture": "https://lh3.googleusercontent.com/a/ACg8ocJ",
         "created_at": "2022-01-15T17:45:00.000Z", "updated_at": "2023-12-01T09:30:00.000Z",
         "last_login": "2023-12-01T09:30:00.000Z", "logins_count": 3,
         "identities": [{"provider": "google-oauth2", "user_id": "109876543210987654321",
                         "connection": "google-oauth2", "isSocial": True}]},
        {"user_id": f"auth0|{carol_oid}", "email": "Carol@Example.com", "email_verified": False,
         "username": "carol", "name": "carol@example.com", "nickname": "carol", "blocked": True,
         "phone_number": "+14155550123", "phone_verified": True,
         "created_at": "2020-05-20T12:00:00.000Z", "updated_at": "2020-05-21T12:00:00.000Z",
         "identities": [{"connection": "Username-Password-Authentication", "user_id": carol_oid,
                         "provider": "auth0", "isSocial": False}]},
        {"user_id": f"auth0|{dave_oid}", "email": "dave@example.com", "email_verified": True,
         "name": "dave@example.com", "nickname": "dave", "created_at": "2023-03-01T00:00:00.000Z",
         "updated_at": "2023-03-01T00:00:00.000Z", "multifactor": ["guardian"],
         "identities": [{"connection": "Username-Password-Authentication", "user_id": dave_oid,
                         "provider": "auth0", "isSocial": False}]},
    ]
    with open(HERE / "auth0-users.ndjson", "w") as out:
        for user in export:
            out.write(json.dumps(user, separators=(",", ":")) + "\n")
    hashes = [
        (alice_oid, "alice@example.com", bcrypt_hash(PASSWORDS["auth0:alice"])),
        (carol_oid, "carol@example.com", bcrypt_hash(PASSWORDS["auth0:carol"])),
    ]
    with open(HERE / "auth0-password-hashes.ndjson", "w") as out:
        for oid, email, password_hash in hashes:
            out.write(json.dumps({"_id": {"$oid": oid}, "email_verified": True, "email": email,
                                  "passwordHash": password_hash,
                                  "password_set_date": {"$date": "2021-09-03T10:12:33.104Z"},
                                  "tenant": "acme-prod", "connection": "Username-Password-Authentication",
                                  "_tmp_is_unique": True}) + "\n")

    frank_salt = "f7a1c3"
    frank_hash = b64(hashlib.sha256((frank_salt + PASSWORDS["auth0-bulk:frank"]).encode()).digest())
    grace_key = "kP9x-legacy-pepper"
    grace_hash = hmac.new(grace_key.encode(), PASSWORDS["auth0-bulk:grace"].encode(), "sha256").hexdigest()
    heidi_salt = secrets.token_bytes(16)
    heidi_dk = hashlib.pbkdf2_hmac("sha256", PASSWORDS["auth0-bulk:heidi"].encode(), heidi_salt, 100000, 32)
    heidi_phc = f"$pbkdf2-sha256$i=100000,l=32${b64_nopad(heidi_salt)}${b64_nopad(heidi_dk)}"
    ivan_phc = hash_secret(PASSWORDS["auth0-bulk:ivan"].encode(), secrets.token_bytes(16), time_cost=3,
                           memory_cost=65536, parallelism=4, hash_len=32, type=Type.ID).decode()
    bulk = [
        {"email": "erin@example.org", "email_verified": True, "user_id": "5f8a1b2c3d4e5f6a7b8c9d01",
         "given_name": "Erin", "family_name": "Evans", "name": "Erin Evans",
         "password_hash": bcrypt_hash(PASSWORDS["auth0-bulk:erin"]),
         "user_metadata": {"language": "fr"},
         "mfa_factors": [{"totp": {"secret": TOTP_SECRETS["erin"]}}, {"phone": {"value": "+33612345678"}}]},
        {"email": "frank@example.org", "email_verified": True, "username": "frank",
         "custom_password_hash": {"algorithm": "sha256",
                                  "hash": {"value": frank_hash, "encoding": "base64"},
                                  "salt": {"value": frank_salt, "encoding": "utf8", "position": "prefix"}}},
        {"email": "grace@example.org", "email_verified": False,
         "custom_password_hash": {"algorithm": "hmac",
                                  "hash": {"value": grace_hash, "encoding": "hex", "digest": "sha256",
                                           "key": {"value": grace_key, "encoding": "utf8"}}}},
        {"email": "heidi@example.org", "email_verified": True, "blocked": False,
         "custom_password_hash": {"algorithm": "pbkdf2", "hash": {"value": heidi_phc, "encoding": "utf8"}}},
        {"email": "ivan@example.org", "email_verified": True, "app_metadata": {"roles": ["admin"]},
         "custom_password_hash": {"algorithm": "argon2", "hash": {"value": ivan_phc, "encoding": "utf8"}}},
        {"email": "judy@example.org", "email_verified": True,
         "custom_password_hash": {"algorithm": "md4",
                                  "hash": {"value": passlib_md4(PASSWORDS["auth0-bulk:judy"].encode()).hexdigest(), "encoding": "hex"}}},
    ]
    (HERE / "auth0-bulk-import.json").write_text(json.dumps(bulk, indent=2) + "\n")


# --------------------------------------------------------------------------- Firebase

def firebase_scrypt(password: str, salt: bytes) -> bytes:
    config = FIREBASE_HASH_CONFIG
    separator = base64.b64decode(config["base64_salt_separator"])
    derived = hashlib.scrypt(password.encode(), salt=salt + separator, n=1 << config["mem_cost"],
                             r=config["rounds"], p=1, dklen=64)
    encryptor = Cipher(algorithms.AES(derived[:32]), modes.CTR(b"\0" * 16)).encryptor()
    return encryptor.update(base64.b64decode(config["base64_signer_key"])) + encryptor.finalize()


def firebase_files() -> None:
    ken_salt, lena_salt = secrets.token_bytes(14), secrets.token_bytes(14)
    users = [
        {"localId": "kP4yF1mXfQe3vT9wZ2aB7cD0eF12", "email": "ken@example.net", "emailVerified": True,
         "passwordHash": b64(firebase_scrypt(PASSWORDS["firebase:ken"], ken_salt)), "salt": b64(ken_salt),
         "displayName": "Ken Adams", "photoUrl": "https://example.net/ken.png",
         "lastSignedInAt": "1707640000123", "createdAt": "1631000000456",
         "customAttributes": '{"admin":true,"tier":"gold"}'},
        {"localId": "Lm9nZW5hbWUtbGVuYS0xMjM0NTY3", "email": "lena@example.net", "emailVerified": False,
         "passwordHash": b64(firebase_scrypt(PASSWORDS["firebase:lena"], lena_salt)), "salt": b64(lena_salt),
         "displayName": "Léna Dupont", "lastSignedInAt": "1700000000000", "createdAt": "1690000000000",
         "providerUserInfo": [{"providerId": "google.com", "rawId": "118234567890123456789",
                               "email": "lena.dupont@gmail.com", "displayName": "Léna Dupont",
                               "photoUrl": "https://lh3.googleusercontent.com/a/lena"}]},
        {"localId": "pH0neOnlyUser000000000000001", "phoneNumber": "+447700900123", "disabled": True,
         "lastSignedInAt": "1650000000000", "createdAt": "1640000000000"},
    ]
    # firebase-tools writes '{"users": [' EOL, then each user as JSON.stringify(user, null, 2) joined by ',' EOL, then ']}'.
    body = ",\n".join(json.dumps(user, indent=2, ensure_ascii=False) for user in users)
    (HERE / "firebase-users.json").write_text('{"users": [\n' + body + "]}", encoding="utf-8")
    (HERE / "firebase-hash-config.json").write_text(json.dumps(FIREBASE_HASH_CONFIG, indent=2) + "\n")
    # The headerless CSV of auth:export: 28 columns by position and a trailing comma.
    lines = []
    for user in users:
        row = [""] * 28
        row[0], row[1] = user["localId"], user.get("email", "")
        row[2] = "true" if user.get("emailVerified") else "false"
        row[3], row[4] = user.get("passwordHash", ""), user.get("salt", "")
        row[5], row[6] = user.get("displayName", ""), user.get("photoUrl", "")
        for info in user.get("providerUserInfo", []):
            start = {"google.com": 7, "facebook.com": 11, "twitter.com": 15, "github.com": 19}[info["providerId"]]
            row[start:start + 4] = [info["rawId"], info.get("email", ""), info.get("displayName", ""), info.get("photoUrl", "")]
        row[23], row[24] = user["createdAt"], user["lastSignedInAt"]
        row[25], row[26] = user.get("phoneNumber", ""), "true" if user.get("disabled") else "false"
        claims = user.get("customAttributes")
        row[27] = '"' + claims.replace('"', '""') + '"' if claims else ""
        lines.append(",".join(row) + ",")
    (HERE / "firebase-users.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


# --------------------------------------------------------------------------- Django

def django_file() -> None:
    import django
    from django.conf import settings

    database = Path(tempfile.mkdtemp()) / "db.sqlite3"
    settings.configure(
        INSTALLED_APPS=["django.contrib.auth", "django.contrib.contenttypes"],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(database)}},
        USE_TZ=True,
        PASSWORD_HASHERS=[
            "django.contrib.auth.hashers.PBKDF2PasswordHasher",
            "django.contrib.auth.hashers.Argon2PasswordHasher",
            "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
            "django.contrib.auth.hashers.MD5PasswordHasher",
        ],
    )
    django.setup()
    from datetime import datetime

    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    editors, staff = Group.objects.create(name="editors"), Group.objects.create(name="staff")
    people = [
        ("mallory", "mallory@example.com", "Mallory", "Malice", "pbkdf2_sha256", True, True, [editors, staff]),
        ("niaj", "niaj@example.com", "Niaj", "", "argon2", True, False, [editors]),
        ("olivia", "", "Olivia", "Oak", "bcrypt_sha256", False, False, []),
        ("peggy", "peggy@example.com", "", "", "md5", True, False, []),
    ]
    for number, (username, email, first, last, hasher, active, is_staff, groups) in enumerate(people):
        user = User.objects.create(
            username=username, email=email, first_name=first, last_name=last, is_active=active,
            is_staff=is_staff, is_superuser=username == "mallory",
            password=make_password(PASSWORDS[f"django:{username}"], hasher=hasher),
            date_joined=datetime(2019, 4, 1 + number, 9, 30, 15, 123456, tzinfo=UTC),
            last_login=datetime(2024, 1, 10 + number, 18, 0, 0, tzinfo=UTC) if number != 2 else None,
        )
        user.groups.set(groups)
    unusable = User.objects.create(username="trudy", email="trudy@example.com",
                                   date_joined=datetime(2020, 1, 1, tzinfo=UTC))
    unusable.set_unusable_password()
    unusable.save()
    out = io.StringIO()
    call_command("dumpdata", "auth.user", indent=2, stdout=out)
    (HERE / "django-users.json").write_text(out.getvalue())


# --------------------------------------------------------------------------- Keycloak

def keycloak_pbkdf2(password: str, digest: str, iterations: int) -> dict[str, str]:
    salt = secrets.token_bytes(16)
    value = hashlib.pbkdf2_hmac(digest, password.encode(), salt, iterations, 64)
    algorithm = {"sha256": "pbkdf2-sha256", "sha512": "pbkdf2-sha512"}[digest]
    return {
        "secretData": json.dumps({"value": b64(value), "salt": b64(salt), "additionalParameters": {}}, separators=(",", ":")),
        "credentialData": json.dumps({"hashIterations": iterations, "algorithm": algorithm, "additionalParameters": {}}, separators=(",", ":")),
    }


def keycloak_argon2(password: str) -> dict[str, str]:
    salt = secrets.token_bytes(16)
    value = hash_secret_raw(password.encode(), salt, time_cost=5, memory_cost=7168, parallelism=1, hash_len=32, type=Type.ID)
    return {
        "secretData": json.dumps({"value": b64(value), "salt": b64(salt), "additionalParameters": {}}, separators=(",", ":")),
        "credentialData": json.dumps({"hashIterations": 5, "algorithm": "argon2", "additionalParameters": {
            "hashLength": ["32"], "memory": ["7168"], "type": ["id"], "version": ["1.3"], "parallelism": ["1"]}},
            separators=(",", ":")),
    }


def keycloak_file() -> None:
    # Keycloak's own OTP secrets are 20 random characters used as UTF-8 bytes.
    sybil_otp = "".join(secrets.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") for _ in range(20))
    users = [
        {"id": "0b6c8f4e-2d3a-4b5c-9d8e-7f6a5b4c3d21", "username": "quentin", "firstName": "Quentin",
         "lastName": "Blake", "email": "quentin@example.io", "emailVerified": True, "createdTimestamp": 1672531200123,
         "enabled": True, "totp": False,
         "attributes": {"locale": ["de"], "department": ["research"], "cost_center": ["4711", "4712"]},
         "credentials": [{"id": "c1a2b3c4-0000-4000-8000-000000000001", "type": "password", "userLabel": "My password",
                          "createdDate": 1672531200456, **keycloak_pbkdf2(PASSWORDS["keycloak:quentin"], "sha256", 27500)}],
         "disableableCredentialTypes": [], "requiredActions": [],
         "realmRoles": ["default-roles-acme", "offline_access"], "clientRoles": {"billing-app": ["invoice-reader"]},
         "notBefore": 0, "groups": ["/staff/research"]},
        {"id": "1c7d9a5f-3e4b-4c6d-8e9f-8a7b6c5d4e32", "username": "rupert", "firstName": "Rupert",
         "email": "rupert@example.io", "emailVerified": False, "createdTimestamp": 1680307200000, "enabled": False,
         "credentials": [{"id": "c1a2b3c4-0000-4000-8000-000000000002", "type": "password", "createdDate": 1680307200000,
                          **keycloak_pbkdf2(PASSWORDS["keycloak:rupert"], "sha512", 210000)}],
         "requiredActions": ["UPDATE_PASSWORD", "VERIFY_EMAIL"],
         "federatedIdentities": [{"identityProvider": "github", "userId": "5812345", "userName": "rupert-gh"}],
         "realmRoles": ["default-roles-acme"], "notBefore": 0, "groups": []},
        {"id": "2d8e0b6a-4f5c-4d7e-9fa0-9b8c7d6e5f43", "username": "sybil", "email": "sybil@example.io",
         "emailVerified": True, "createdTimestamp": 1693526400000, "enabled": True, "totp": True,
         "credentials": [
             {"id": "c1a2b3c4-0000-4000-8000-000000000003", "type": "password", "createdDate": 1693526400000,
              **keycloak_argon2(PASSWORDS["keycloak:sybil"])},
             {"id": "c1a2b3c4-0000-4000-8000-000000000004", "type": "otp", "userLabel": "Phone", "createdDate": 1693526500000,
              "secretData": json.dumps({"value": sybil_otp}, separators=(",", ":")),
              "credentialData": json.dumps({"subType": "totp", "digits": 6, "counter": 0, "period": 30,
                                            "algorithm": "HmacSHA1"}, separators=(",", ":"))}],
         "realmRoles": ["default-roles-acme", "admin"], "notBefore": 0, "groups": ["/staff"]},
        {"id": "3e9f1c7b-5a6d-4e8f-a0b1-ac9d8e7f6a54", "username": "service-account-billing-app", "enabled": True,
         "createdTimestamp": 1672531100000, "serviceAccountClientId": "billing-app", "credentials": [],
         "realmRoles": ["default-roles-acme"], "notBefore": 0, "groups": []},
    ]
    realm = {
        "id": "acme", "realm": "acme", "notBefore": 0, "defaultSignatureAlgorithm": "RS256",
        "enabled": True, "sslRequired": "external", "registrationAllowed": False,
        "passwordPolicy": "length(8) and hashAlgorithm(pbkdf2-sha256)",
        "roles": {"realm": [{"id": "9a1b", "name": "admin", "composite": False, "clientRole": False, "containerId": "acme"}]},
        "groups": [{"id": "7c1d", "name": "staff", "path": "/staff",
                    "subGroups": [{"id": "7c1e", "name": "research", "path": "/staff/research", "subGroups": []}]}],
        "users": users,
        "clients": [{"id": "5e6f", "clientId": "billing-app", "enabled": True, "serviceAccountsEnabled": True,
                     "redirectUris": ["https://billing.example.io/*"]}],
        "keycloakVersion": "24.0.5",
    }
    # Keycloak writes with Jackson's pretty printer: two-space indent and " : " between key and value.
    (HERE / "keycloak-realm.json").write_text(json.dumps(realm, indent=2, separators=(",", " : ")) + "\n")
    return sybil_otp


# --------------------------------------------------------------------------- Cognito

def cognito_file() -> None:
    header = ["cognito:username", "name", "given_name", "family_name", "middle_name", "nickname",
              "preferred_username", "profile", "picture", "website", "email", "email_verified", "gender",
              "birthdate", "zoneinfo", "locale", "phone_number", "phone_number_verified", "address",
              "updated_at", "cognito:mfa_enabled", "custom:tier", "custom:tenant_id", "sub"]
    rows = [
        {"cognito:username": "7d1e5a2c-9b3f-4c8d-a1e6-2f4b8c9d0e13", "name": "Victor Hugo", "given_name": "Victor",
         "family_name": "Hugo", "email": "victor@example.fr", "email_verified": "TRUE", "birthdate": "1802-02-26",
         "locale": "fr-FR", "zoneinfo": "Europe/Paris", "phone_number": "+33612345670", "phone_number_verified": "true",
         "address": "6 Place des Vosges, 75004 Paris", "updated_at": "1706000000", "cognito:mfa_enabled": "TRUE",
         "custom:tier": "gold", "custom:tenant_id": "t-42", "sub": "7d1e5a2c-9b3f-4c8d-a1e6-2f4b8c9d0e13"},
        {"cognito:username": "wendy", "given_name": "Wendy", "email": "wendy@example.com", "email_verified": "false",
         "birthdate": "02/01/1985", "phone_number_verified": "FALSE", "updated_at": "1690000000",
         "cognito:mfa_enabled": "FALSE", "sub": "8e2f6b3d-0c4a-4d9e-b2f7-3a5c9d0e1f24"},
        {"cognito:username": "xavier@example.com", "email": "xavier@example.com", "email_verified": "True",
         "updated_at": "1700000000", "cognito:mfa_enabled": "false", "custom:tier": "silver",
         "sub": "9f3a7c4e-1d5b-4eaf-83a8-4b6d0e1f2a35"},
    ]
    with open(HERE / "cognito-users.csv", "w", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


# --------------------------------------------------------------------------- Supabase

SUPABASE_COLUMNS = [
    "instance_id", "id", "aud", "role", "email", "encrypted_password", "email_confirmed_at", "invited_at",
    "confirmation_token", "confirmation_sent_at", "recovery_token", "recovery_sent_at", "email_change_token_new",
    "email_change", "email_change_sent_at", "last_sign_in_at", "raw_app_meta_data", "raw_user_meta_data",
    "is_super_admin", "created_at", "updated_at", "phone", "phone_confirmed_at", "phone_change",
    "phone_change_token", "phone_change_sent_at", "confirmed_at", "email_change_token_current",
    "email_change_confirm_status", "banned_until", "reauthentication_token", "reauthentication_sent_at",
    "is_sso_user", "deleted_at", "is_anonymous",
]


def supabase_files() -> None:
    base = {column: None for column in SUPABASE_COLUMNS}
    base.update(instance_id="00000000-0000-0000-0000-000000000000", aud="authenticated", role="authenticated",
                confirmation_token="", recovery_token="", email_change_token_new="", email_change="",
                phone_change="", phone_change_token="", email_change_token_current="",
                email_change_confirm_status=0, reauthentication_token="", is_sso_user=False, is_anonymous=False)
    rows = [
        dict(base, id="a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d", email="trent@example.dev",
             encrypted_password=bcrypt_hash(PASSWORDS["supabase:trent"], prefix=b"2a"),
             email_confirmed_at="2023-05-01 10:00:05.123456+00", confirmation_sent_at="2023-05-01 10:00:00.000001+00",
             last_sign_in_at="2024-02-01 07:45:12.987654+00",
             raw_app_meta_data='{"provider": "email", "providers": ["email"]}',
             raw_user_meta_data='{"full_name": "Trent Reznor", "avatar_url": "https://example.dev/t.png"}',
             created_at="2023-05-01 10:00:00.000001+00", updated_at="2024-02-01 07:45:12.990001+00",
             confirmed_at="2023-05-01 10:00:05.123456+00"),
        dict(base, id="b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e", email="uma@example.dev",
             encrypted_password=bcrypt_hash(PASSWORDS["supabase:uma"], prefix=b"2a"),
             email_confirmed_at=None, phone="15551234567", phone_confirmed_at="2023-06-02 11:00:00+00",
             raw_app_meta_data='{"provider": "email", "providers": ["email", "phone"]}', raw_user_meta_data="{}",
             created_at="2023-06-01 09:00:00+00", updated_at="2023-06-02 11:00:00+00",
             banned_until="2999-01-01 00:00:00+00"),
        dict(base, id="c3d4e5f6-a7b8-4c9d-0e1f-2a3b4c5d6e7f", email="victor.oauth@example.dev", encrypted_password="",
             email_confirmed_at="2023-07-01 08:00:00+00", last_sign_in_at="2023-07-02 08:00:00+00",
             raw_app_meta_data='{"provider": "github", "providers": ["github"]}',
             raw_user_meta_data='{"name": "Victor O", "user_name": "victoro", "avatar_url": "https://avatars.githubusercontent.com/u/1"}',
             created_at="2023-07-01 08:00:00+00", updated_at="2023-07-02 08:00:00+00",
             confirmed_at="2023-07-01 08:00:00+00"),
        dict(base, id="d4e5f6a7-b8c9-4d0e-1f2a-3b4c5d6e7f80", email="gone@example.dev",
             encrypted_password=bcrypt_hash("irrelevant-gone", prefix=b"2a"), created_at="2022-01-01 00:00:00+00",
             updated_at="2022-02-01 00:00:00+00", deleted_at="2022-02-01 00:00:00+00"),
    ]

    def cell(value: object) -> str:
        if value is None:
            return ""
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    with open(HERE / "supabase-users.csv", "w", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(SUPABASE_COLUMNS)
        for row in rows:
            writer.writerow([cell(row[column]) for column in SUPABASE_COLUMNS])

    def as_json(row: dict[str, object]) -> dict[str, object]:
        # json_agg renders timestamptz as ISO 8601 with "T" and jsonb columns as objects.
        result = dict(row)
        for column, value in row.items():
            if isinstance(value, str) and value[:4].isdigit() and value[10:11] == " ":
                result[column] = value.replace(" ", "T", 1) + ":00"
            if column.startswith("raw_") and isinstance(value, str):
                result[column] = json.loads(value)
        return result

    (HERE / "supabase-users.json").write_text(json.dumps([as_json(row) for row in rows], indent=1) + "\n")


def main() -> None:
    os.chdir(HERE)
    auth0_files()
    firebase_files()
    django_file()
    sybil_otp = keycloak_file()
    cognito_file()
    supabase_files()
    (HERE / "totp-secrets.json").write_text(json.dumps(
        {"auth0-bulk:erin": {"secret": TOTP_SECRETS["erin"], "encoding": "base32"},
         "keycloak:sybil": {"secret": sybil_otp, "encoding": "utf8 text (Keycloak)"}}, indent=2) + "\n")


if __name__ == "__main__":
    main()
