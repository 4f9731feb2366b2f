"""A user record rewritten as one user of Auth0's bulk-import JSON schema, with what could not be.

Mapping (docs/export.md has the table): email, email_verified, phone_number, phone_verified,
username (from preferred_username), given_name, family_name, name, nickname, picture, blocked
(from disabled), user_id (the authshift id; Auth0 prefixes it with "auth0|"), password_hash or
custom_password_hash, mfa_factors (totp, email, phone; passkeys are reported: Auth0 cannot import them). custom_attributes become app_metadata keys (those the Auth0 reader kept as
``custom_attributes.app_metadata`` / ``.user_metadata`` go back to app_metadata / user_metadata),
roles and groups ``app_metadata.roles`` / ``app_metadata.groups``, and what Auth0 has no field for
but should not be lost (ids, timestamps, migration state, other OIDC claims) goes under
``app_metadata.authshift`` and ``user_metadata``. Anything else is reported, per user, as an
``Unmapped(field, reason)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from authshift.migration.formats.auth0.passwords import Unmappable, auth0_password

__all__ = ["AUTH0_RESERVED_APP_METADATA", "Unmapped", "to_auth0_user"]

# Names Auth0 refuses as app_metadata keys (its bulk-import documentation lists them).
AUTH0_RESERVED_APP_METADATA = frozenset({
    "__tenant", "_id", "blocked", "clientID", "created_at", "email_verified", "email", "globalClientID",
    "global_client_id", "identities", "lastIP", "lastLogin", "loginsCount", "metadata",
    "multifactor_last_modified", "multifactor", "updated_at", "user_id",
})
_OWN_APP_METADATA = frozenset({"roles", "groups", "authshift"})
_DIRECT = ("email", "given_name", "family_name", "name", "nickname", "picture", "phone_number")
_USER_METADATA_CLAIMS = ("middle_name", "profile", "website", "gender", "birthdate", "zoneinfo", "locale", "address")
_AUTHSHIFT_KEYS = ("id", "external_id", "source", "migration_state", "created_at", "updated_at", "last_login_at", "disabled_reason")


@dataclass(frozen=True)
class Unmapped:
    field: str
    reason: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "reason": self.reason}


def _totp_factors(totp: list[Mapping[str, Any]], issues: list[Unmapped]) -> list[dict[str, Any]]:
    factors = []
    for i, entry in enumerate(totp):
        path = f"mfa.totp[{i}]"
        params = (entry.get("algorithm", "SHA1"), entry.get("digits", 6), entry.get("period", 30))
        if params != ("SHA1", 6, 30):
            issues.append(Unmapped(path, "Auth0 only takes SHA1, 6-digit, 30-second TOTP factors"))
        elif entry.get("encoding", "base32") != "base32" or "secret" not in entry:
            issues.append(Unmapped(path, "Auth0 takes TOTP secrets in base32 only"))
        else:
            factors.append({"totp": {"secret": str(entry["secret"]).upper().rstrip("=")}})
    return factors


def to_auth0_user(rec: Mapping[str, Any]) -> tuple[dict[str, Any] | None, list[Unmapped]]:
    """The Auth0 user for a record (``None`` when Auth0 cannot import it at all) and what was lost."""
    issues: list[Unmapped] = []
    if not rec.get("email"):
        return None, [Unmapped("email", "Auth0 database connections need an email; the user was not written")]
    user: dict[str, Any] = {"user_id": rec["id"]}
    for key in _DIRECT:
        if rec.get(key) is not None:
            user[key] = rec[key]
    user["email_verified"] = bool(rec.get("email_verified"))
    if "phone_number" in rec:
        user["phone_verified"] = bool(rec.get("phone_number_verified"))
    if rec.get("preferred_username"):
        user["username"] = rec["preferred_username"]
    user["blocked"] = bool(rec.get("disabled"))

    attributes = dict(rec.get("custom_attributes") or {})
    # The Auth0 reader keeps a user's app_metadata and user_metadata as these two attributes:
    # they go back where they came from, not one level down (app_metadata.app_metadata).
    imported_app, imported_user = (attributes.pop(name) if isinstance(attributes.get(name), dict) else {}
                                   for name in ("app_metadata", "user_metadata"))
    app_metadata: dict[str, Any] = {}
    for key, value in attributes.items():
        if key in AUTH0_RESERVED_APP_METADATA or key in _OWN_APP_METADATA:
            issues.append(Unmapped(f"custom_attributes.{key}", "the name is reserved in Auth0's app_metadata"))
        else:
            app_metadata[key] = value
    ours = {key for key in ("roles", "groups") if rec.get(key)} | {"authshift"}
    for key, value in imported_app.items():
        if key in AUTH0_RESERVED_APP_METADATA or key in ours or key in app_metadata:
            issues.append(Unmapped(f"custom_attributes.app_metadata.{key}",
                                   "the name is reserved in Auth0's app_metadata or taken by authshift's own value"))
        else:
            app_metadata[key] = value
    for key in ("roles", "groups"):
        if rec.get(key):
            app_metadata[key] = list(rec[key])
    app_metadata["authshift"] = {k: rec[k] for k in _AUTHSHIFT_KEYS if rec.get(k) is not None}
    user["app_metadata"] = app_metadata
    user_metadata = dict(imported_user)
    for key in _USER_METADATA_CLAIMS:
        if rec.get(key) is not None:
            if key in user_metadata and user_metadata[key] != rec[key]:
                issues.append(Unmapped(f"custom_attributes.user_metadata.{key}", f"replaced by the user's {key} claim"))
            user_metadata[key] = rec[key]
    if user_metadata:
        user["user_metadata"] = user_metadata

    password = rec.get("password")
    if password:
        try:
            key, value = auth0_password(password)
            user[key] = value
        except Unmappable as exc:
            issues.append(Unmapped("password", str(exc)))
        for flag in ("must_change", "expire_at"):
            if password.get(flag):
                issues.append(Unmapped(f"password.{flag}", "Auth0's import has no such setting"))
    mfa = rec.get("mfa") or {}
    factors = _totp_factors(list(mfa.get("totp") or []), issues)
    if mfa.get("email"):
        factors.append({"email": {"value": mfa["email"]}})
    if mfa.get("phone_number"):
        factors.append({"phone": {"value": mfa["phone_number"]}})
    if factors:
        user["mfa_factors"] = factors
    for i, _passkey in enumerate(mfa.get("webauthn") or []):
        issues.append(Unmapped(f"mfa.webauthn[{i}]", "Auth0's bulk import takes no passkeys; the user registers "
                                                     "a new one there (the kratos format keeps them)"))
    for i, ident in enumerate(rec.get("identities") or []):
        issues.append(Unmapped(f"identities[{i}]", f"Auth0 imports into a database connection; the {ident.get('provider')} "
                                                    "identity links again when the user signs in with it"))
    return user, issues
