"""--format auth0: Auth0's bulk-import schema, hashes Auth0 can verify, a report of the rest."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from authshift import passwords
from authshift.accounts.rows import stored_password_as_record
from authshift.migration.formats.auth0.passwords import Unmappable, auth0_password
from authshift.migration.formats.auth0.writer import to_auth0_user
from tests.exports.auth0_reference import auth0_verifies
from tests.exports.conftest import export_to, read_ndjson
from tests.exports.population import TOTP_SECRET, Member

AUTH0_USER_KEYS = {
    "email", "email_verified", "user_id", "username", "given_name", "family_name", "name", "nickname", "picture",
    "blocked", "password_hash", "custom_password_hash", "app_metadata", "user_metadata", "mfa_factors", "phone_number",
    "phone_verified",
}
AUTH0_ALGORITHMS = {"argon2", "bcrypt", "hmac", "ldap", "md4", "md5", "sha1", "sha256", "sha512", "pbkdf2", "scrypt"}
# Formats Auth0 has no algorithm for (or only in a layout authshift does not rewrite yet).
NOT_FOR_AUTH0 = {
    "django_bcrypt_sha256", "md5_crypt", "apr_md5_crypt",
    "sha256_crypt", "sha512_crypt", "phpass", "drupal7_sha512", "drupal7_upgraded_md5", "wordpress_bcrypt",
    "ldap_sha256", "ldap_salted_sha256", "ldap_sha384", "ldap_salted_sha384", "ldap_sha512", "ldap_salted_sha512",
    "ldap_crypt", "firebase_scrypt", "aspnet_identity", "sha224", "sha384", "yescrypt",
}


def _stored_as_record(info: passwords.FormatInfo) -> dict[str, Any]:
    """The password as export writes it: the stored value (canonical JSON for structured formats)."""
    stored = passwords.parse(info.example)
    return stored_password_as_record({"format": stored.format, "value": stored.value})  # as an export writes it


@pytest.mark.parametrize("info", passwords.formats(), ids=lambda f: f.name)
def test_every_format_verifies_in_auth0_or_says_why_not(info: passwords.FormatInfo) -> None:
    password = _stored_as_record(info)
    if info.name in NOT_FOR_AUTH0:
        with pytest.raises(Unmappable) as caught:
            auth0_password(password)
        assert info.name in str(caught.value) or "Auth0" in str(caught.value)
        return
    key, value = auth0_password(password)
    user = {key: value}
    if key == "custom_password_hash":
        assert value["algorithm"] in AUTH0_ALGORITHMS
    assert auth0_verifies(user, info.example_password), f"{info.name}: Auth0 would not verify the real password"
    assert not auth0_verifies(user, info.example_password + "!")


def test_bcrypt_with_ten_rounds_uses_password_hash_and_others_the_custom_field() -> None:
    assert auth0_password({"hash": "$2y$10$" + "a" * 53})[0] == "password_hash"
    key, value = auth0_password({"hash": "$2b$12$" + "a" * 53})
    assert key == "custom_password_hash" and value["algorithm"] == "bcrypt"


def test_a_user_without_email_is_not_written_and_says_why() -> None:
    user, issues = to_auth0_user({"id": "x", "preferred_username": "bob", "roles": [], "groups": []})
    assert user is None and issues[0].field == "email"


async def test_auth0_export_shape_and_report(app: Any, population: list[Member], tmp_path: Path) -> None:
    out = tmp_path / "auth0.json"
    summary = await export_to(app.state.authshift, out, format="auth0", include_secrets=True)
    users = json.loads(out.read_text(encoding="utf-8"))
    with_email = [m for m in population if m.email]
    assert isinstance(users, list) and len(users) == len(with_email) == summary.written
    assert summary.users == len(population)
    for user in users:
        assert set(user) <= AUTH0_USER_KEYS
        assert not ("password_hash" in user and "custom_password_hash" in user)
        assert not set(user["app_metadata"]) & {"email", "user_id", "blocked", "created_at"}
    by_id = {u["user_id"]: u for u in users}
    full = next(u for u in users if u["app_metadata"]["authshift"].get("external_id") == "legacy-0")
    assert full["blocked"] is True and full["username"] == "full_user_0" and full["email_verified"] is True
    assert full["app_metadata"]["roles"] == ["admin", "billing"] and full["app_metadata"]["plan"] == "team"
    assert full["app_metadata"]["authshift"]["created_at"] == "2020-03-04T05:06:07Z"
    assert full["user_metadata"]["locale"] == "fr-FR"
    assert {"totp": {"secret": TOTP_SECRET}} in full["mfa_factors"]
    assert {"email": {"value": "mfa0@example.com"}} in full["mfa_factors"]
    report = {line["id"]: line for line in read_ndjson(out.with_suffix(".report.ndjson"))}
    assert len(report) == summary.issues
    full_issues = {u["field"] for u in report[full["user_id"]]["unmapped"]}
    assert {"mfa.totp[1]", "identities[0]", "identities[1]", "password.must_change", "password.expire_at"} <= full_issues
    for m in population:
        if m.format is None or m.email is None:
            continue
        user = by_id[str(m.id)]
        if m.format in NOT_FOR_AUTH0:
            assert "password_hash" not in user and "custom_password_hash" not in user
            assert "password" in {u["field"] for u in report[str(m.id)]["unmapped"]}
        elif m.password:
            assert auth0_verifies(user, m.password), m.format
    skipped = [line for line in report.values() if not line["written"]]
    assert len(skipped) == len(population) - len(with_email)
