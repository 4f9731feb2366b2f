"""The one redaction rule: what is a secret in a structure, and its masked copy.

Logs (``logs.py``), the audit log (``audit.py``), import reports (``records.redact``)
and error bodies (``errors.py``) all call ``redact``, so a key masked in one place is masked in
every place. Before, logs and audit matched exact key names while reports matched suffixes, so
``password_hash``, ``custom_password_hash``, ``salt_separator``, ``webhook_secret`` and
``plaintext`` were masked in reports and written out in logs.

The rule, on key names compared without case, ``_`` or ``-`` (``passwordHash`` is
``password_hash``):

- a key in ``SECRET_NAMES``, containing one of ``SECRET_WORDS`` (``email_change_token_new``) or
  ending with one of ``SECRET_SUFFIXES`` holds a secret. Its value
  becomes ``"[redacted]"``; when that value is an object (a structured password hash, Auth0's
  ``custom_password_hash``, a Keycloak credential) its cost parameters and flags
  (``PUBLIC_PARAMETERS``) stay visible, so a report can still say what was wrong with it;
- except that a name ending with ``id`` or ``ids`` names an identifier (``key_id``,
  ``refresh_token_id``, ``kid``), which is no secret, unless it is in ``SECRET_NAMES``
  (``session_id``: a session's id is its bearer credential);
- a string that is an ``otpauth:`` URI is a TOTP secret wherever it is;
- ``None``, ``""`` and booleans are never secrets (``"has_password": true`` tells nothing).

Secret *values* inside free text (exception messages) are not found by this rule: messages are
written never to contain one (``errors.AuthshiftError``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = ["PUBLIC_PARAMETERS", "REDACTED", "SECRET_NAMES", "SECRET_SUFFIXES", "SECRET_WORDS", "is_secret_key", "redact"]

REDACTED = "[redacted]"

# Normalised names (lower case, letters and digits only) that are secrets whatever their value.
SECRET_NAMES = frozenset({
    "plaintext", "uri", "credentials", "secretdata", "recoverycodes", "recoverycodehashes", "totp", "otp", "code",
    "authorization", "cookie", "setcookie", "apikey", "signerkey", "sessionid",
})
# Words that make any name a secret's: encrypted_password, client_secret, webhook_secret,
# access_token, email_change_token_new...
SECRET_WORDS = ("password", "passwd", "secret", "token")
# Endings of names that are secrets: password_hash, passwordHash, custom_password_hash, salt,
# salt_separator, signer_key, code_verifier...
SECRET_SUFFIXES = ("hash", "salt", "key", "separator", "verifier")

# Inside a secret object (a structured password), these keys hold parameters, not secrets.
PUBLIC_PARAMETERS = frozenset({
    "algorithm", "format", "mustchange", "expireat", "hashconfig", "iterations", "rounds", "cost", "hashencoding",
    "saltencoding", "keyencoding", "passwordencoding", "saltposition", "encoding", "digest", "memorycost",
    "memcost", "timecost", "parallelism", "n", "r", "p", "ln", "blocksize", "dklen", "keylength",
    "version", "variant", "type", "hashiterations", "digits", "period",
})

_NOT_ALNUM = re.compile(r"[^a-z0-9]")


def _normal(key: object) -> str:
    return _NOT_ALNUM.sub("", str(key).lower())


def is_secret_key(key: object) -> bool:
    """True when a value under this key is a secret (see the module docstring)."""
    name = _normal(key)
    if name in SECRET_NAMES:
        return True
    if name.endswith(("id", "ids")):
        return False
    return name.endswith(SECRET_SUFFIXES) or any(word in name for word in SECRET_WORDS)


def _harmless(value: Any) -> bool:
    return value is None or value == "" or isinstance(value, bool)


def _masked(value: Any) -> Any:
    """A secret's value: masked, keeping a secret object's scalar parameters."""
    if _harmless(value):
        return value
    if isinstance(value, Mapping):
        return {k: v if _normal(k) in PUBLIC_PARAMETERS and not isinstance(v, (Mapping, list, tuple))
                else _masked(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):  # recovery codes, TOTP factors: each masked, the count kept
        return [_masked(item) for item in value]
    return REDACTED


def redact(value: Any, key: object = None) -> Any:
    """A copy of ``value`` (found under ``key``, if any) with every secret masked."""
    if key is not None and is_secret_key(key):
        return _masked(value)
    if isinstance(value, Mapping):
        return {k: redact(v, k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact(item) for item in value]
    if isinstance(value, str) and value[:8].lower() == "otpauth:":
        return REDACTED
    return value
