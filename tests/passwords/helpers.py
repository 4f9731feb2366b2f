"""Shared helpers for the password tests."""

from __future__ import annotations

import secrets

# Passwords mixing ASCII, Latin-1, Greek, Cyrillic, CJK and an astral-plane emoji.
_ALPHABET = "abcdefXYZ0123456789 !$%-_.éèßøÆΩωжЖ中文字🙂"


def random_password(length: int | None = None) -> str:
    size = length if length is not None else 8 + secrets.randbelow(16)
    return "".join(secrets.choice(_ALPHABET) for _ in range(size))
