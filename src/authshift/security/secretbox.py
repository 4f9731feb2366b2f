"""Encryption at rest for secrets stored in the database (TOTP secrets, signing keys).

AES-256-GCM with a key derived (HKDF-SHA256) from the instance's encryption key and a purpose
label, so one purpose's ciphertext cannot be replayed as another's.
"""

from __future__ import annotations

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PREFIX = "v1:"


class DecryptionError(ValueError):
    """A stored ciphertext does not decrypt with this instance's encryption key."""


class SecretBox:
    def __init__(self, encryption_key: bytes, purpose: str) -> None:
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.encode()).derive(encryption_key)
        self._aead = AESGCM(key)
        self._aad = purpose.encode()

    def encrypt(self, plaintext: bytes) -> str:
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, plaintext, self._aad)
        return PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode()

    def decrypt(self, token: str) -> bytes:
        if not token.startswith(PREFIX):
            raise DecryptionError("unknown ciphertext version")
        raw = base64.urlsafe_b64decode(token[len(PREFIX):])
        try:
            return self._aead.decrypt(raw[:12], raw[12:], self._aad)
        except InvalidTag as exc:
            raise DecryptionError("ciphertext does not decrypt with this instance's encryption key") from exc
