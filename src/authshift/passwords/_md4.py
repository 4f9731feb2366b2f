"""MD4 (RFC 1320) in pure Python, because OpenSSL 3 no longer offers it to ``hashlib``.

MD4 is broken as a hash, but legacy systems still hold passwords under it (Windows NT hashes,
Auth0's ``md4`` and ``pbkdf2-md4`` imports), so authshift must verify them to rehash them.
``MD4`` has the interface ``hmac`` needs (``update``, ``copy``, ``digest``, ``digest_size``,
``block_size``), so ``hmac.new(key, msg, MD4)`` and PBKDF2-HMAC-MD4 work on it.
"""

from __future__ import annotations

import hashlib
import hmac
import struct
from typing import Any

_MASK = 0xFFFFFFFF
_INIT = (0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476)


_UNPACK = struct.Struct("<16I").unpack


def _compress(state: tuple[int, int, int, int], block: bytes) -> tuple[int, int, int, int]:
    """One 64-byte block (RFC 1320 section 3.4); rotations written inline: it runs for every block."""
    x = _UNPACK(block)
    a, b, c, d = state
    m = _MASK
    for i in (0, 4, 8, 12):  # round 1: F(x,y,z) = xy | ~x z
        t = (a + ((b & c) | (~b & d)) + x[i]) & m
        a = ((t << 3) | (t >> 29)) & m
        t = (d + ((a & b) | (~a & c)) + x[i + 1]) & m
        d = ((t << 7) | (t >> 25)) & m
        t = (c + ((d & a) | (~d & b)) + x[i + 2]) & m
        c = ((t << 11) | (t >> 21)) & m
        t = (b + ((c & d) | (~c & a)) + x[i + 3]) & m
        b = ((t << 19) | (t >> 13)) & m
    for i in (0, 1, 2, 3):  # round 2: G(x,y,z) = xy | xz | yz, constant 5A827999
        t = (a + ((b & c) | (b & d) | (c & d)) + x[i] + 0x5A827999) & m
        a = ((t << 3) | (t >> 29)) & m
        t = (d + ((a & b) | (a & c) | (b & c)) + x[i + 4] + 0x5A827999) & m
        d = ((t << 5) | (t >> 27)) & m
        t = (c + ((d & a) | (d & b) | (a & b)) + x[i + 8] + 0x5A827999) & m
        c = ((t << 9) | (t >> 23)) & m
        t = (b + ((c & d) | (c & a) | (d & a)) + x[i + 12] + 0x5A827999) & m
        b = ((t << 13) | (t >> 19)) & m
    for i in (0, 2, 1, 3):  # round 3: H(x,y,z) = x ^ y ^ z, constant 6ED9EBA1
        t = (a + (b ^ c ^ d) + x[i] + 0x6ED9EBA1) & m
        a = ((t << 3) | (t >> 29)) & m
        t = (d + (a ^ b ^ c) + x[i + 8] + 0x6ED9EBA1) & m
        d = ((t << 9) | (t >> 23)) & m
        t = (c + (d ^ a ^ b) + x[i + 4] + 0x6ED9EBA1) & m
        c = ((t << 11) | (t >> 21)) & m
        t = (b + (c ^ d ^ a) + x[i + 12] + 0x6ED9EBA1) & m
        b = ((t << 15) | (t >> 17)) & m
    return ((state[0] + a) & m, (state[1] + b) & m, (state[2] + c) & m, (state[3] + d) & m)


class MD4:
    """A hashlib-like MD4 object."""

    name = "md4"
    digest_size = 16
    block_size = 64

    def __init__(self, data: bytes = b"") -> None:
        self._state = _INIT
        self._buffer = b""
        self._length = 0
        self.update(data)

    def update(self, data: bytes) -> None:
        self._length += len(data)
        buffer = self._buffer + bytes(data)
        full = len(buffer) - len(buffer) % 64
        state = self._state
        for offset in range(0, full, 64):
            state = _compress(state, buffer[offset : offset + 64])
        self._state, self._buffer = state, buffer[full:]

    def copy(self) -> MD4:
        other = MD4.__new__(MD4)
        other._state, other._buffer, other._length = self._state, self._buffer, self._length
        return other

    def digest(self) -> bytes:
        tail = self._buffer + b"\x80" + b"\x00" * ((55 - self._length) % 64) + struct.pack("<Q", (self._length * 8) & (2**64 - 1))
        state = self._state
        for offset in range(0, len(tail), 64):
            state = _compress(state, tail[offset : offset + 64])
        return struct.pack("<4I", *state)

    def hexdigest(self) -> str:
        return self.digest().hex()


def md4(data: bytes) -> bytes:
    return MD4(data).digest()


def new_hash(name: str, data: bytes = b"") -> Any:
    """``hashlib.new`` that also knows md4 (ours when OpenSSL does not offer it)."""
    if name == "md4":
        return MD4(data)
    return hashlib.new(name, data)


def hmac_digest(key: bytes, message: bytes, name: str) -> bytes:
    return hmac.new(key, message, MD4 if name == "md4" else name).digest()


def _pbkdf2_md4(password: bytes, salt: bytes, iterations: int, length: int) -> bytes:
    """PBKDF2-HMAC-MD4 on the compression function: HMAC's keyed inner and outer states are
    computed once, and each iteration is then exactly two compressions (pure Python is slow)."""
    if len(password) > MD4.block_size:
        password = md4(password)
    key = password.ljust(MD4.block_size, b"\x00")
    inner = _compress(_INIT, bytes(k ^ 0x36 for k in key))
    outer = _compress(_INIT, bytes(k ^ 0x5C for k in key))
    # a 16-byte message after the 64-byte key block: padded to one block, total length 80 bytes
    tail = b"\x80" + b"\x00" * 39 + struct.pack("<Q", 80 * 8)
    pack = struct.Struct("<4I").pack
    blocks = []
    for index in range(1, -(-length // MD4.digest_size) + 1):
        first = hmac.new(password, salt + struct.pack(">I", index), MD4).digest()
        acc = int.from_bytes(first, "little")
        u = first
        for _ in range(iterations - 1):
            u = pack(*_compress(outer, pack(*_compress(inner, u + tail)) + tail))
            acc ^= int.from_bytes(u, "little")
        blocks.append(acc.to_bytes(MD4.digest_size, "little"))
    return b"".join(blocks)[:length]


def pbkdf2_hmac(name: str, password: bytes, salt: bytes, iterations: int, length: int) -> bytes:
    """``hashlib.pbkdf2_hmac`` that also knows md4 (RFC 8018, with our HMAC-MD4)."""
    if name == "md4":
        return _pbkdf2_md4(password, salt, iterations, length)
    return hashlib.pbkdf2_hmac(name, password, salt, iterations, length)
