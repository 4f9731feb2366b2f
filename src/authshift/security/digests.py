"""How authshift stores high-entropy secrets it must recognise later (API keys, client secrets,
codes, refresh tokens, exchanged legacy tokens): their SHA-256, in hex.

A plain hash is right here because these values are random and long; passwords, which people
choose, go through ``authshift.passwords`` instead. Compare digests with ``hmac.compare_digest``.
"""

from __future__ import annotations

import hashlib


def secret_digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()
