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
_POOL_SIZE = 4096
_pool = b""
_pool_pos = 0


def _random(n: int) -> int:
    """``n`` bytes from the OS's CSPRNG as an int, read 4 KiB at a time (one system call per ~400 ids)."""
    global _pool, _pool_pos
    if _pool_pos + n > len(_pool):
        _pool, _pool_pos = os.urandom(_POOL_SIZE), 0
    value = int.from_bytes(_pool[_pool_pos:_pool_pos + n], "big")
    _pool_pos += n
    return value


def _forget_pool() -> None:  # a forked child must not reuse its parent's random bytes
    global _pool, _pool_pos
    _pool, _pool_pos = b"", 0


os.register_at_fork(after_in_child=_forget_pool)


def uuid7() -> uuid.UUID:
    """A UUIDv7: 48 bits of Unix milliseconds, then 74 random bits, monotonic within one process
    (within one millisecond the random part is incremented, RFC 9562 section 6.2 method 2)."""
    global _last_ms, _last_rand
    with _lock:
        ms = time.time_ns() // 1_000_000
        if ms > _last_ms:
            rand = _random(10) >> (80 - _RAND_BITS + 1)  # top bit clear: room to count
        else:
            ms = _last_ms
            rand = _last_rand + 1 + (_random(1))
            if rand >> _RAND_BITS:
                ms, rand = ms + 1, 0
        _last_ms, _last_rand = ms, rand
    rand_a, rand_b = rand >> 62, rand & ((1 << 62) - 1)
    value = (ms << 80) | (0x7 << 76) | (rand_a << 64) | (0x2 << 62) | rand_b
    # What uuid.UUID(int=value) does, without re-checking a value built in range above (a bulk
    # import makes two ids per user: the checks were a third of the time).
    new = _new_uuid(uuid.UUID)
    _set(new, "int", value)
    _set(new, "is_safe", uuid.SafeUUID.unknown)
    return new


_new_uuid = object.__new__
_set = object.__setattr__
