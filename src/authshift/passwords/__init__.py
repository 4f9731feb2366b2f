"""Password hashes: native argon2id, and every common legacy format verified byte for byte.

Pure Python (no database, no HTTP). ``parse`` validates an imported hash (syntax and cost
ceilings), ``verify`` answers (ok, needs_rehash), ``hash_password`` writes native argon2id,
``dummy_verify`` makes unknown users cost the same as known ones. See docs/hash-formats.md.
"""

from authshift.passwords.assess import Assessment, assess, guess_warning
from authshift.passwords.errors import CeilingExceeded, PasswordFormatError
from authshift.passwords.hash_config import load_hash_configs, parse_hash_configs
from authshift.passwords.model import FormatInfo, HashConfig, Limits, StoredPassword, VerifyResult
from authshift.passwords.registry import NATIVE_FORMAT
from authshift.passwords.service import (
    dummy_verify,
    dummy_verify_async,
    formats,
    hash_password,
    hash_password_async,
    identify,
    parse,
    parse_detail,
    verify,
    verify_async,
)

__all__ = [
    "Assessment",
    "assess",
    "guess_warning",
    "NATIVE_FORMAT",
    "CeilingExceeded",
    "FormatInfo",
    "HashConfig",
    "Limits",
    "PasswordFormatError",
    "StoredPassword",
    "VerifyResult",
    "dummy_verify",
    "dummy_verify_async",
    "formats",
    "hash_password",
    "hash_password_async",
    "identify",
    "load_hash_configs",
    "parse",
    "parse_detail",
    "parse_hash_configs",
    "verify",
    "verify_async",
]
