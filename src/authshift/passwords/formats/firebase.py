"""Firebase Authentication's modified scrypt (github.com/firebase/scrypt).

Per user the export holds ``passwordHash`` and ``salt`` (base64); per project the console shows
the hash parameters (signer key, salt separator, rounds, mem_cost), given to authshift as a named
``HashConfig``. Verification: key = scrypt(password, salt + salt_separator, N = 2^mem_cost,
r = rounds, p = 1, 32 bytes); the hash is AES-256-CTR(key, IV = 0) applied to the signer key.
Import object: ``{"algorithm": "firebase_scrypt", "hash": "...", "salt": "...", "hash_config": "default"}``;
``hash_config`` may also be an inline object with the console's fields.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from authshift.passwords._codec import b64decode, equal, str_field, utf8
from authshift.passwords.errors import PasswordFormatError
from authshift.passwords.formats.base import Checked, Context, StructuredFormat
from authshift.passwords.formats.scrypt import check_scrypt_params, scrypt
from authshift.passwords.model import HashConfig, StoredPassword

FIREBASE_KEY_LENGTH = 32
MAX_MEM_COST = 30


def firebase_hash(password: bytes, salt: bytes, config: HashConfig) -> bytes:
    key = scrypt(password, salt + config.salt_separator, 1 << config.mem_cost, config.rounds, 1, FIREBASE_KEY_LENGTH)
    encryptor = Cipher(algorithms.AES(key), modes.CTR(b"\x00" * 16)).encryptor()
    return encryptor.update(config.signer_key) + encryptor.finalize()


def _b64(text: str, fmt: str, what: str) -> bytes:
    urlsafe = "-" in text or "_" in text
    return b64decode(text, fmt, what, urlsafe=urlsafe)


def hash_config_from_mapping(obj: Mapping[str, Any], fmt: str) -> HashConfig:
    """A HashConfig from the console's fields (snake_case, or the Firebase CLI's camelCase names)."""

    def pick(*names: str) -> Any:
        for name in names:
            if name in obj:
                return obj[name]
        raise PasswordFormatError(f"hash config is missing '{names[0]}'", fmt)

    algorithm = str(obj.get("algorithm", "SCRYPT")).upper()
    if algorithm != "SCRYPT":
        raise PasswordFormatError(f"hash config algorithm must be SCRYPT, not {algorithm}", fmt)
    signer_key = pick("base64_signer_key", "signer_key", "signerKey", "hash_key", "hashKey", "key")
    separator = pick("base64_salt_separator", "salt_separator", "saltSeparator")
    rounds = pick("rounds")
    mem_cost = pick("mem_cost", "memCost", "memory_cost", "memoryCost")
    if not isinstance(signer_key, str) or not isinstance(separator, str):
        raise PasswordFormatError("hash config signer key and salt separator must be base64 strings", fmt)
    try:
        rounds, mem_cost = int(rounds), int(mem_cost)
    except (TypeError, ValueError):
        raise PasswordFormatError("hash config rounds and mem_cost must be integers", fmt) from None
    config = HashConfig(
        signer_key=_b64(signer_key, fmt, "signer key"),
        salt_separator=_b64(separator, fmt, "salt separator"),
        rounds=rounds,
        mem_cost=mem_cost,
    )
    validate_hash_config(config, fmt)
    return config


def validate_hash_config(config: HashConfig, fmt: str) -> None:
    if not config.signer_key:
        raise PasswordFormatError("hash config signer key is empty", fmt)
    if not 1 <= config.rounds <= 8 * 1024:
        raise PasswordFormatError("hash config rounds must be between 1 and 8192", fmt)
    if not 1 <= config.mem_cost <= MAX_MEM_COST:
        raise PasswordFormatError(f"hash config mem_cost must be between 1 and {MAX_MEM_COST}", fmt)


class FirebaseScrypt(StructuredFormat):
    name = "firebase_scrypt"
    algorithms = ("firebase_scrypt", "firebase-scrypt", "firebase")
    description = "Firebase Authentication's modified scrypt; needs the project's hash config (see load_hash_configs)."
    recognised_by = 'object `{"algorithm": "firebase_scrypt", "hash", "salt", "hash_config": "<name>"}`'
    # The sample from github.com/firebase/scrypt's README (project parameters inline here;
    # normally they come from a --hash-config file and are referred to by name).
    example_password = "user1password"
    example = {
        "algorithm": "firebase_scrypt",
        "hash": "lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ==",
        "salt": "42xEC+ixf3L2lw==",
        "hash_config": {
            "base64_signer_key": "jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==",
            "base64_salt_separator": "Bw==",
            "rounds": 8,
            "mem_cost": 14,
        },
    }

    def load(self, obj: Mapping[str, Any], ctx: Context) -> tuple[dict[str, Any], Checked]:
        fmt = self.name
        hash_text = str_field(obj, "hash", fmt)
        salt_text = str_field(obj, "salt", fmt)
        expected = _b64(hash_text, fmt, "hash")
        salt = _b64(salt_text, fmt, "salt")
        reference = obj.get("hash_config", "default")
        config: HashConfig | None
        if isinstance(reference, Mapping):
            config = hash_config_from_mapping(reference, fmt)
            canonical_ref: Any = dict(reference)
        elif isinstance(reference, str) and reference:
            canonical_ref = reference
            if ctx.hash_configs is None:
                config = None  # checked when verifying, against the configs given then
            elif reference in ctx.hash_configs:
                config = ctx.hash_configs[reference]
            else:
                raise self.fail(f"unknown hash_config '{reference}' (known: {', '.join(sorted(ctx.hash_configs)) or 'none'})")
        else:
            raise self.fail("'hash_config' must be the name of a hash config or an object")
        if config is not None:
            validate_hash_config(config, fmt)
            check_scrypt_params(1 << config.mem_cost, config.rounds, 1, fmt, ctx)
            if len(expected) != len(config.signer_key):
                raise self.fail("hash length differs from the signer key's length")
        canonical = {"algorithm": "firebase_scrypt", "hash": hash_text, "salt": salt_text, "hash_config": canonical_ref}

        def matches(password: str) -> bool:
            if config is None:
                raise self.fail(f"hash config '{canonical_ref}' is needed to verify (pass hash_configs)")
            return equal(firebase_hash(utf8(password), salt, config), expected)

        return canonical, Checked(matches)


INLINE_PREFIX = "inline-"


def inline_config_name(config: HashConfig) -> str:
    """The name parameters given inline are kept under: derived from them, so equal parameters
    share one name and different ones never collide (96 bits of SHA-256, not the key itself)."""
    material = b"\0".join((b"authshift firebase hash config", config.signer_key, config.salt_separator,
                            str(config.rounds).encode(), str(config.mem_cost).encode()))
    return INLINE_PREFIX + hashlib.sha256(material).hexdigest()[:24]


def externalize_hash_config(stored: StoredPassword) -> tuple[StoredPassword, dict[str, HashConfig]]:
    """A Firebase hash stored with its project's parameters inline, rewritten to name them
    (``inline_config_name``), and the parameters to keep under that name (encrypted, by the
    caller): the signer key is a secret and never sits in a password row. Others are unchanged."""
    if stored.format != FirebaseScrypt.name:
        return stored, {}
    obj = json.loads(stored.value)
    reference = obj.get("hash_config")
    if not isinstance(reference, Mapping):
        return stored, {}
    config = hash_config_from_mapping(reference, FirebaseScrypt.name)
    name = inline_config_name(config)
    obj["hash_config"] = name
    value = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return StoredPassword(format=stored.format, value=value), {name: config}
