"""LDAP userPassword values (RFC 2307 and OpenLDAP's contrib schemes).

``{MD5}`` ``{SHA}`` ``{SHA256}`` ``{SHA384}`` ``{SHA512}``: base64(digest(password)).
``{SMD5}`` ``{SSHA}`` ``{SSHA256}`` ``{SSHA384}`` ``{SSHA512}``: base64(digest(password + salt) + salt).
``{CRYPT}``: a crypt(3) string (md5-crypt, sha256/512-crypt, bcrypt) behind the tag.
The scheme tag is case-insensitive, as in OpenLDAP.
"""

from __future__ import annotations

import hashlib

from authshift.passwords._codec import b64decode, equal, utf8
from authshift.passwords.formats.base import Checked, Context, HashFormat

_SCHEMES = {  # tag -> (digest, salted)
    "MD5": ("md5", False),
    "SMD5": ("md5", True),
    "SHA": ("sha1", False),
    "SSHA": ("sha1", True),
    "SHA256": ("sha256", False),
    "SSHA256": ("sha256", True),
    "SHA384": ("sha384", False),
    "SSHA384": ("sha384", True),
    "SHA512": ("sha512", False),
    "SSHA512": ("sha512", True),
}


class _LdapDigest(HashFormat):
    tag: str
    digest: str
    salted: bool

    def recognises(self, value: str) -> bool:
        prefix = "{" + self.tag + "}"
        return value[: len(prefix)].upper() == prefix

    def check(self, value: str, ctx: Context) -> Checked:
        raw = b64decode(value[len(self.tag) + 2 :], self.name, "value")
        size = hashlib.new(self.digest).digest_size
        if self.salted:
            if len(raw) <= size:
                raise self.fail(f"value must hold a {size}-byte digest followed by a salt")
            expected, salt = raw[:size], raw[size:]
        else:
            if len(raw) != size:
                raise self.fail(f"value must be a {size}-byte digest")
            expected, salt = raw, b""
        digest = self.digest

        def matches(password: str) -> bool:
            return equal(hashlib.new(digest, utf8(password) + salt).digest(), expected)

        return Checked(matches)


# Examples: {MD5} {SMD5} {SHA} {SSHA} from passlib's ldap test vectors; the SHA-2 ones were
# generated with libpass's ldap_salted_sha256/512 (and hashlib for the unsalted/sha384 forms).
_EXAMPLES = {
    "MD5": ("helloworld", "{MD5}/F4DjTilcDIIVEHn/nAQsA=="),
    "SMD5": ("testing1234", "{SMD5}UjFY34os/pnZQ3oQOzjqGu4yeXE="),
    "SHA": ("helloworld", "{SHA}at+xg6SiyUovktq1redipHiJpaE="),
    "SSHA": ("testing123", "{SSHA}0c0blFTXXNuAMHECS4uxrj3ZieMoWImr"),
    "SHA256": ("pässword", "{SHA256}NHgme1YSeRtAmIkGs6eJfrarUB4EuV7TL5nQr99mnZw="),
    "SSHA256": ("pässword", "{SSHA256}brn5jVDtGgB7mmLBddAAL5O1/O7YcwuHaBmeT1MT2PkxMjM0NTY3OA=="),
    "SHA384": ("pässword", "{SHA384}2/UOrrph58rmvmfMef4cEuPix7/+GprRvS88pxO41FikCtbioEeUGz1piAYerKcI"),
    "SSHA384": ("pässword", "{SSHA384}gQTE4I6ahZJR/DGmnwdk7ew91pkHGbCqcd/Qqm0A8T2+wG6jcP/Uarq0YrQKrU+5YWJjZGVmZ2g="),
    "SHA512": ("pässword", "{SHA512}KF3icbSeAO9oGc8Ku/AxXpfCXLo2FhZ8dw78Umxki03hH0sA3HH67TOjEse6g2kNPtFKqq32tiKqSJlv8H7IpA=="),
    "SSHA512": (
        "pässword",
        "{SSHA512}TPS6kJZtoVS1rPeF6oIY1hOEuZJDVmtdFUf3YFp37157xyx1k7aLgc0cY5JhxTUaX3zHy0wl+ahbPyxwPLIw/DEyMzQ1Njc4",
    ),
}


def _ldap(tag: str) -> type[_LdapDigest]:
    digest, salted = _SCHEMES[tag]
    name = f"ldap_{'salted_' if salted else ''}{digest}"
    password, example = _EXAMPLES[tag]
    return type(
        f"Ldap{tag}",
        (_LdapDigest,),
        {
            "name": name,
            "tag": tag,
            "digest": digest,
            "salted": salted,
            "description": f"LDAP {{{tag}}}: base64 of {digest.upper()}(password{' + salt) + salt' if salted else ')'}.",
            "recognised_by": f"prefix `{{{tag}}}` (any case)",
            "example_password": password,
            "example": example,
        },
    )


LDAP_DIGEST_FORMATS = [_ldap(tag) for tag in _SCHEMES]
