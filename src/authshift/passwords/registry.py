"""The ordered registry of hash formats, Django-hashers style: the first entry is native and
hashes new passwords; the others are recognised, verified and rehashed on the next login.

Self-describing formats are recognised by prefix (no two claim the same string); structured
formats are chosen by the "algorithm" of the import record's password object.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from authshift.passwords.errors import PasswordFormatError
from authshift.passwords.formats import (
    argon2,
    aspnet,
    bcrypt,
    crypt,
    digest,
    django,
    drupal,
    firebase,
    keycloak,
    ldap,
    nt,
    pbkdf2,
    phpass,
    scrypt,
    werkzeug,
    wordpress,
    yescrypt,
)
from authshift.passwords.formats.base import HashFormat, StructuredFormat, algorithm_key
from authshift.passwords.model import FormatInfo

NATIVE_FORMAT = "argon2id"

FORMATS: tuple[HashFormat, ...] = (
    argon2.Argon2id(),
    argon2.Argon2i(),
    argon2.Argon2d(),
    bcrypt.Bcrypt(),
    scrypt.ScryptPHC(),
    pbkdf2.Pbkdf2Sha1(),
    pbkdf2.Pbkdf2Sha256(),
    pbkdf2.Pbkdf2Sha512(),
    pbkdf2.Pbkdf2Sha224(),
    pbkdf2.Pbkdf2Sha384(),
    pbkdf2.Pbkdf2Md4(),
    pbkdf2.AtlassianPbkdf2(),
    django.DjangoPbkdf2Sha256(),
    django.DjangoPbkdf2Sha1(),
    django.DjangoArgon2(),
    django.DjangoBcryptSha256(),
    django.DjangoBcrypt(),
    django.DjangoScrypt(),
    django.DjangoMd5(),
    django.DjangoSha1(),
    django.DjangoUnsaltedSha1(),
    django.DjangoUnsaltedMd5(),
    werkzeug.WerkzeugScrypt(),
    werkzeug.WerkzeugPbkdf2(),
    # after Django's md5$ / sha1$ hashers, whose shape the Werkzeug < 2.3 md5 / sha1 forms share
    *(cls() for cls in werkzeug.WERKZEUG_LEGACY_FORMATS),
    nt.NtHash(),  # bare 32 hex digits only when named (an unsalted MD5 comes first)
    crypt.Md5Crypt(),
    crypt.AprMd5Crypt(),
    crypt.Sha256Crypt(),
    crypt.Sha512Crypt(),
    yescrypt.Yescrypt(),
    phpass.Phpass(),
    drupal.Drupal7(),
    drupal.Drupal7Upgraded(),
    wordpress.WordPressBcrypt(),
    *(cls() for cls in ldap.LDAP_DIGEST_FORMATS),
    crypt.LdapCrypt(),
    # Structured formats (no self-describing string): chosen by the object's "algorithm".
    keycloak.KeycloakCredential(),
    firebase.FirebaseScrypt(),
    aspnet.AspNetIdentity(),
    pbkdf2.Pbkdf2Raw(),
    scrypt.ScryptStructured(),
    *(cls() for cls in digest.PLAIN_DIGEST_FORMATS),
    *(cls() for cls in digest.HMAC_FORMATS),
)

_BY_NAME: dict[str, HashFormat] = {fmt.name: fmt for fmt in FORMATS}
_STRING_FORMATS = tuple(fmt for fmt in FORMATS if not fmt.structured)
_STRUCTURED = tuple(fmt for fmt in FORMATS if isinstance(fmt, StructuredFormat))
_BY_ALGORITHM: dict[str, StructuredFormat] = {
    algorithm_key(alias): fmt for fmt in _STRUCTURED for alias in (fmt.name, *fmt.algorithms)
}
assert len(_BY_NAME) == len(FORMATS), "format names must be unique"


def by_name(name: str) -> HashFormat:
    try:
        return _BY_NAME[name]
    except KeyError:
        raise PasswordFormatError(f"unknown format name '{name}'") from None


# For each string format in order: its prefixes when it is recognised by them alone (checked here
# without a method call: a bulk import recognises one hash per record), else None (ask it).
_RECOGNISERS: tuple[tuple[HashFormat, tuple[str, ...] | None], ...] = tuple(
    (fmt, fmt.prefixes if type(fmt).recognises is HashFormat.recognises else None) for fmt in _STRING_FORMATS
)


def recognise(value: str) -> HashFormat:
    """The format of a self-describing hash string."""
    for fmt, prefixes in _RECOGNISERS:
        if prefixes is None:
            if fmt.recognises(value):
                return fmt
        elif prefixes and value.startswith(prefixes):
            return fmt
    raise PasswordFormatError("unrecognised (no known format prefix or shape)")


def format_names() -> frozenset[str]:
    """Every name "format" / --hash-format may give: format names and families (compared as
    ``algorithm_key`` compares them)."""
    return frozenset(algorithm_key(n) for fmt in _STRING_FORMATS for n in fmt.family_names())


def resolve_named(value: str, named: str) -> HashFormat:
    """The format ``named`` (a format name or a family such as "werkzeug", "django", "nt") chooses
    for the self-describing ``value``: one of the formats whose shape ``value`` has.

    This is how an import resolves an ambiguous shape (``sha1$salt$hex``: Django or Werkzeug?).
    """
    key = algorithm_key(named)
    fitting = [fmt for fmt in _STRING_FORMATS if fmt.recognises(value)]
    for fmt in fitting:
        if key in {algorithm_key(n) for n in fmt.family_names()}:
            return fmt
    if not fitting:
        raise PasswordFormatError(f"unrecognised (no known format prefix or shape), and not a '{named}' hash")
    shapes = ", ".join(fmt.name for fmt in fitting)
    raise PasswordFormatError(f"the hash is not written in format '{named}' (its shape fits: {shapes})")


def structured_format_for(obj: Mapping[str, Any]) -> StructuredFormat | None:
    """The structured format an import record's password object selects, if any."""
    if keycloak.KeycloakCredential.claims(obj):
        return _BY_ALGORITHM[algorithm_key("keycloak")]
    algorithm = obj.get("algorithm")
    if isinstance(algorithm, str):
        return _BY_ALGORITHM.get(algorithm_key(algorithm))
    return None


def format_infos() -> list[FormatInfo]:
    return [
        FormatInfo(
            name=fmt.name,
            description=fmt.description,
            recognised_by=fmt.recognised_by,
            example_password=fmt.example_password,
            example=fmt.example,
            structured=fmt.structured,
            named_only=fmt.named_only,
        )
        for fmt in FORMATS
    ]
