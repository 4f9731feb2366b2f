"""Stored password hashes rewritten in Auth0's bulk-import schema, where Auth0 can verify them.

Auth0 takes ``password_hash`` (bcrypt ``$2a$``/``$2b$`` with 10 rounds) or ``custom_password_hash``
``{"algorithm", "hash": {"value", "encoding", "digest", "key"}, "salt": {"value", "encoding",
"position"}, "password": {"encoding"}, "keylen", "cost", "blockSize", "parallelization"}`` with
algorithm argon2, bcrypt, hmac, ldap, md4, md5, sha1, sha256, sha512, pbkdf2 (PHC string) or scrypt.
A format Auth0 cannot verify raises ``Unmappable`` with the reason, never a silent guess: that
user would be imported by Auth0 and then be unable to sign in.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["Unmappable", "auth0_password"]

AUTH0_DIGESTS = ("md4", "md5", "sha1", "sha256", "sha512")
AUTH0_HMAC_DIGESTS = ("md4", "md5", "ripemd160", "sha1", "sha224", "sha256", "sha384", "sha512")
_PASSWORD_ENCODINGS = {"utf8": "utf8", "utf16le": "utf16le", "latin1": "latin1"}
_LDAP_SCHEMES = ("{MD5}", "{SMD5}", "{SHA}", "{SSHA}")  # RFC 2307 schemes


class Unmappable(ValueError):
    """This hash cannot be given to Auth0 in a form it verifies; the message says why (no secret in it)."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _b64_nopad(data: bytes) -> str:
    return _b64(data).rstrip("=")


def _decode_b64(text: str, *, ab64: bool = False, urlsafe: bool = False) -> bytes:
    if ab64:
        text = text.replace(".", "+")
    padded = text + "=" * (-len(text) % 4)
    try:
        return base64.urlsafe_b64decode(padded) if urlsafe else base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError):
        raise Unmappable("the stored hash is not valid base64") from None


def _pbkdf2_phc(digest: str, iterations: int, salt: bytes, key: bytes) -> dict[str, Any]:
    value = f"$pbkdf2-{digest}$i={iterations},l={len(key)}${_b64_nopad(salt)}${_b64_nopad(key)}"
    return {"algorithm": "pbkdf2", "hash": {"value": value, "encoding": "utf8"}}


def _bcrypt(value: str) -> dict[str, Any]:
    if value.startswith("$2y$"):  # PHP's name for the same algorithm as $2b$
        value = "$2b$" + value[4:]
    if not value.startswith(("$2a$", "$2b$")):
        raise Unmappable("Auth0 accepts bcrypt hashes with the $2a$ or $2b$ prefix only")
    return {"algorithm": "bcrypt", "hash": {"value": value, "encoding": "utf8"}}


def _argon2(value: str) -> dict[str, Any]:
    return {"algorithm": "argon2", "hash": {"value": value, "encoding": "utf8"}}


_PASSLIB_PBKDF2 = re.compile(r"^\$pbkdf2(?:-(sha1|sha256|sha512))?\$(\d+)\$([./A-Za-z0-9]*)\$([./A-Za-z0-9]+)$")
_PHC_PBKDF2 = re.compile(r"^\$pbkdf2(?:-(sha1|sha224|sha256|sha384|sha512|md4))?\$i=(\d+)(?:,l=\d+)?\$([A-Za-z0-9+/.]*)\$([A-Za-z0-9+/.]+)$")


def _pbkdf2_string(value: str) -> dict[str, Any]:
    match = _PASSLIB_PBKDF2.match(value) or _PHC_PBKDF2.match(value)
    if not match:
        raise Unmappable("the PBKDF2 string is not in a form authshift can rewrite for Auth0")
    digest, rounds, salt, key = match.groups()
    return _pbkdf2_phc(digest or "sha1", int(rounds), _decode_b64(salt, ab64=True), _decode_b64(key, ab64=True))


def _django_pbkdf2(value: str) -> dict[str, Any]:
    algorithm, rounds, salt, key = value.split("$")
    return _pbkdf2_phc(algorithm.removeprefix("pbkdf2_"), int(rounds), salt.encode("utf-8"), _decode_b64(key))


def _werkzeug_pbkdf2(value: str) -> dict[str, Any]:
    method, salt, hex_hash = value.split("$")
    _, digest, rounds = method.split(":")
    if digest not in ("sha1", "sha256", "sha512"):
        raise Unmappable(f"Auth0's PBKDF2 is read here for sha1, sha256 and sha512 only, not {digest}")
    return _pbkdf2_phc(digest, int(rounds), salt.encode("utf-8"), bytes.fromhex(hex_hash))


def _werkzeug_scrypt(value: str) -> dict[str, Any]:
    method, salt, hex_hash = value.split("$")
    _, n, r, p = method.split(":")
    return _scrypt_object(salt.encode("utf-8"), bytes.fromhex(hex_hash), int(n), int(r), int(p))


def _django_scrypt(value: str) -> dict[str, Any]:
    _, n, salt, r, p, key = value.split("$")
    return _scrypt_object(salt.encode("utf-8"), _decode_b64(key), int(n), int(r), int(p))


def _atlassian(value: str) -> dict[str, Any]:
    raw = _decode_b64(value[len("{PKCS5S2}"):])
    return _pbkdf2_phc("sha1", 10000, raw[:16], raw[16:])


def _django_digest(digest: str) -> Callable[[str], dict[str, Any]]:
    def convert(value: str) -> dict[str, Any]:
        parts = value.split("$")
        salt, hex_hash = (parts[1], parts[2]) if len(parts) == 3 else ("", parts[-1])
        out: dict[str, Any] = {"algorithm": digest, "hash": {"value": hex_hash.lower(), "encoding": "hex"}}
        if salt:
            out["salt"] = {"value": salt, "encoding": "utf8", "position": "prefix"}
        return out

    return convert


def _werkzeug_legacy(value: str) -> dict[str, Any]:
    """Werkzeug < 2.3's ``<digest>$<salt>$<hex>``: HMAC keyed by the salt (bare digest without one)."""
    digest, salt, hex_hash = value.split("$")
    hash_part: dict[str, Any] = {"value": hex_hash.lower(), "encoding": "hex"}
    if not salt:
        if digest not in AUTH0_DIGESTS:
            raise Unmappable(f"Auth0 does not accept unkeyed {digest} hashes")
        return {"algorithm": digest, "hash": hash_part}
    if digest not in AUTH0_HMAC_DIGESTS:
        raise Unmappable(f"Auth0 does not accept HMAC with {digest}")
    return {"algorithm": "hmac", "hash": {**hash_part, "digest": digest, "key": {"value": salt, "encoding": "utf8"}}}


def _nt_hash(value: str) -> dict[str, Any]:
    """An NT hash is Auth0's md4 over the UTF-16LE password."""
    return {"algorithm": "md4", "hash": {"value": value.removeprefix("$3$$").lower(), "encoding": "hex"},
            "password": {"encoding": "utf16le"}}


def _ldap(value: str) -> dict[str, Any]:
    scheme = value[: value.index("}") + 1].upper()
    if scheme not in _LDAP_SCHEMES:
        raise Unmappable(f"Auth0 reads the LDAP schemes {', '.join(_LDAP_SCHEMES)} only, not {scheme}")
    return {"algorithm": "ldap", "hash": {"value": scheme + value[len(scheme):], "encoding": "utf8"}}


_SCRYPT = re.compile(r"^\$scrypt\$([^$]*)\$([A-Za-z0-9+/.]*)\$([A-Za-z0-9+/.]+)$")


def _scrypt_object(salt: bytes, key: bytes, n: int, r: int, p: int) -> dict[str, Any]:
    return {
        "algorithm": "scrypt", "hash": {"value": _b64(key), "encoding": "base64"},
        "salt": {"value": _b64(salt), "encoding": "base64"},
        "keylen": len(key), "cost": n, "blockSize": r, "parallelization": p,
    }


def _scrypt_phc(value: str) -> dict[str, Any]:
    match = _SCRYPT.match(value)
    if not match:
        raise Unmappable("the scrypt string is not in a form authshift can rewrite for Auth0")
    params = dict(item.split("=", 1) for item in match[1].split(","))
    try:
        if "ln" in params:
            ln = int(params["ln"])
            n = 1 << ln if ln < 64 else ln
        else:
            n = int(params.get("n", params.get("N", "0")))
        r, p = int(params["r"]), int(params["p"])
    except (KeyError, ValueError):
        raise Unmappable("the scrypt string's parameters are not readable") from None
    return _scrypt_object(_decode_b64(match[2], ab64=True), _decode_b64(match[3], ab64=True), n, r, p)


def _reencode(text: str, encoding: str, allowed: tuple[str, ...]) -> dict[str, str]:
    """A value with its encoding, in an encoding Auth0 reads (base64url becomes base64)."""
    if encoding == "base64url":
        return {"value": _b64(_decode_b64(text, urlsafe=True)), "encoding": "base64"}
    if encoding not in allowed:
        raise Unmappable(f"Auth0 does not read {encoding}-encoded values here")
    return {"value": text, "encoding": encoding}


def _salted(obj: Mapping[str, Any], out: dict[str, Any]) -> dict[str, Any]:
    if obj.get("salt"):
        salt = _reencode(obj["salt"], obj.get("salt_encoding", "utf8"), ("utf8", "hex", "base64"))
        out["salt"] = {**salt, "position": obj.get("salt_position", "prefix")}
    encoding = obj.get("password_encoding", "utf8")
    if encoding != "utf8":
        out["password"] = {"encoding": _PASSWORD_ENCODINGS[encoding]}
    return out


def _digest_object(obj: Mapping[str, Any]) -> dict[str, Any]:
    digest = str(obj["algorithm"]).lower().replace("-", "")
    if digest not in AUTH0_DIGESTS:
        raise Unmappable(f"Auth0 does not accept unkeyed {digest} hashes (it takes {', '.join(AUTH0_DIGESTS)})")
    hash_part = _reencode(obj["hash"], obj.get("hash_encoding", "hex"), ("hex", "base64"))
    return _salted(obj, {"algorithm": digest, "hash": hash_part})


def _hmac_object(obj: Mapping[str, Any]) -> dict[str, Any]:
    digest = str(obj["algorithm"]).lower().replace("-", "").replace("_", "").removeprefix("hmac")
    if digest not in AUTH0_HMAC_DIGESTS:
        raise Unmappable(f"Auth0 does not accept HMAC with {digest}")
    hash_part = _reencode(obj["hash"], obj.get("hash_encoding", "hex"), ("hex", "base64"))
    key = _reencode(obj["key"], obj.get("key_encoding", "utf8"), ("utf8", "hex", "base64"))
    return _salted(obj, {"algorithm": "hmac", "hash": {**hash_part, "digest": digest, "key": key}})


def _pbkdf2_object(obj: Mapping[str, Any]) -> dict[str, Any]:
    digest = str(obj["algorithm"]).lower().removeprefix("pbkdf2-")
    salt = _reencode(obj["salt"], obj.get("salt_encoding", "base64"), ("utf8", "hex", "base64"))
    key = _reencode(obj["hash"], obj.get("hash_encoding", "base64"), ("hex", "base64"))

    def raw(part: dict[str, str]) -> bytes:
        if part["encoding"] == "hex":
            return bytes.fromhex(part["value"])
        return part["value"].encode("utf-8") if part["encoding"] == "utf8" else _decode_b64(part["value"])

    return _pbkdf2_phc(digest, int(obj["iterations"]), raw(salt), raw(key))


def _scrypt_structured(obj: Mapping[str, Any]) -> dict[str, Any]:
    hash_part = _reencode(obj["hash"], obj.get("hash_encoding", "base64"), ("hex", "base64"))
    salt = _reencode(obj["salt"], obj.get("salt_encoding", "base64"), ("utf8", "hex", "base64"))
    n = int(obj.get("n") or obj.get("N") or (1 << int(obj["ln"])))
    key_len = len(bytes.fromhex(hash_part["value"])) if hash_part["encoding"] == "hex" else len(_decode_b64(hash_part["value"]))
    return {
        "algorithm": "scrypt", "hash": hash_part, "salt": salt, "keylen": key_len,
        "cost": n, "blockSize": int(obj.get("r", 8)), "parallelization": int(obj.get("p", 1)),
    }


_STRING_CONVERTERS: dict[str, Callable[[str], dict[str, Any]]] = {
    "bcrypt": _bcrypt,
    "django_bcrypt": lambda v: _bcrypt(v.removeprefix("bcrypt$")),
    "argon2id": _argon2, "argon2i": _argon2, "argon2d": _argon2,
    "django_argon2": lambda v: _argon2(v.removeprefix("argon2")),
    "pbkdf2_sha1": _pbkdf2_string, "pbkdf2_sha256": _pbkdf2_string, "pbkdf2_sha512": _pbkdf2_string,
    "pbkdf2_sha224": _pbkdf2_string, "pbkdf2_sha384": _pbkdf2_string, "pbkdf2_md4": _pbkdf2_string,
    **{f"werkzeug_{digest}": _werkzeug_legacy for digest in ("md5", "sha1", "sha224", "sha256", "sha384", "sha512")},
    "nt_hash": _nt_hash,
    "django_pbkdf2_sha256": _django_pbkdf2, "django_pbkdf2_sha1": _django_pbkdf2,
    "atlassian_pbkdf2_sha1": _atlassian,
    "werkzeug_pbkdf2": _werkzeug_pbkdf2, "werkzeug_scrypt": _werkzeug_scrypt, "django_scrypt": _django_scrypt,
    "django_md5": _django_digest("md5"), "django_sha1": _django_digest("sha1"),
    "django_unsalted_md5": _django_digest("md5"), "django_unsalted_sha1": _django_digest("sha1"),
    "scrypt": _scrypt_phc,
}


def _keycloak_object(obj: Mapping[str, Any]) -> dict[str, Any]:
    """A Keycloak credential as authshift stores it; Keycloak's PBKDF2 variants map onto Auth0's."""
    algorithm = str(obj.get("credential_algorithm", "")).lower()
    digest = {"pbkdf2": "sha1", "pbkdf2-sha256": "sha256", "pbkdf2-sha512": "sha512"}.get(algorithm)
    if digest is None:
        raise Unmappable(f"Auth0 cannot verify Keycloak {algorithm or 'unknown'} credentials")
    return _pbkdf2_phc(digest, int(obj["hash_iterations"]), _decode_b64(obj["salt"]), _decode_b64(obj["value"]))


def _object_converter(algorithm: str) -> Callable[[Mapping[str, Any]], dict[str, Any]] | None:
    key = algorithm.lower().replace("-", "").replace("_", "")
    if key.startswith("hmac"):
        return _hmac_object
    if key.startswith("pbkdf2"):
        return _pbkdf2_object
    if key == "scrypt":
        return _scrypt_structured
    if key == "keycloak":
        return _keycloak_object
    if key in ("md4", "md5", "sha1", "sha224", "sha256", "sha384", "sha512"):
        return _digest_object
    return None


def auth0_password(password: Mapping[str, Any]) -> tuple[str, Any]:
    """``("password_hash", "$2b$10$...")`` or ``("custom_password_hash", {...})`` for a record's
    password (``{"hash": ...}`` or a structured object); ``Unmappable`` when Auth0 cannot verify it."""
    from authshift.passwords import PasswordFormatError, identify
    from authshift.passwords.registry import resolve_named

    algorithm = password.get("algorithm")
    convert: Callable[[Any], dict[str, Any]] | None
    if isinstance(algorithm, str):
        fmt, value, convert = algorithm, password, _object_converter(algorithm)
    else:
        value = str(password.get("hash", ""))
        named = password.get("format")  # a family the shape alone does not tell (Werkzeug's sha1$, NT)
        try:
            fmt = resolve_named(value, named).name if isinstance(named, str) else identify(value)
        except PasswordFormatError:
            raise Unmappable("the stored hash is not in a format authshift recognises") from None
        convert = _string_converter(fmt)
    if convert is None:
        raise Unmappable(f"Auth0 cannot verify {fmt} hashes; the user would have to reset their password there")
    try:
        converted = convert(value)
    except Unmappable:
        raise
    except (KeyError, ValueError, TypeError, IndexError):
        raise Unmappable(f"the stored {fmt} hash could not be rewritten for Auth0") from None
    if converted["algorithm"] == "bcrypt" and converted["hash"]["value"][4:7] == "10$":
        return "password_hash", converted["hash"]["value"]
    return "custom_password_hash", converted


def _string_converter(fmt: str) -> Callable[[str], dict[str, Any]] | None:
    if fmt in _STRING_CONVERTERS:
        return _STRING_CONVERTERS[fmt]
    if fmt.startswith("ldap_") and fmt != "ldap_crypt":
        return _ldap
    return None
