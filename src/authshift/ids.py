"""Time-ordered identifiers (UUID version 7, RFC 9562), so new rows append to indexes in order."""

from __future__ import annotations

import os
import threading
import time
import uuid

_lock = threading.Lock()
_last_ms = 0
_last_rand = 0
_RAND_BITS = 74  # rand_a (12 bits) + rand_b (62 bits)


def uuid7() -> uuid.UUID:
    """A UUIDv7: 48 bits of Unix milliseconds, then 74 random bits, monotonic within one process
    (within one millisecond the random part is incremented, RFC 9562 section 6.2 method 2)."""
    global _last_ms, _last_rand
    with _lock:
        ms = time.time_ns() // 1_000_000
        if ms > _last_ms:
            rand = int.from_bytes(os.urandom(10), "big") >> (80 - _RAND_BITS + 1)  # top bit clear: room to count
        else:
            ms = _last_ms
            rand = _last_rand + 1 + (int.from_bytes(os.urandom(2), "big") & 0xFF)
            if rand >> _RAND_BITS:
                ms, rand = ms + 1, 0
        _last_ms, _last_rand = ms, rand
    rand_a, rand_b = rand >> 62, rand & ((1 << 62) - 1)
    value = (ms << 80) | (0x7 << 76) | (rand_a << 64) | (0x2 << 62) | rand_b
    return uuid.UUID(int=value)
