"""yescrypt (``$y$``), the default of /etc/shadow on current Debian, Ubuntu and Fedora.

Verified through the system's libxcrypt (``crypt_rn`` via ctypes, with a buffer per call, so
threads never share state): the same code that wrote the hash checks it. Python's ``crypt``
module is deprecated (and warns); libxcrypt is what the systems we read from use.

``$y$<flavor><N><r>$<salt>$<hash>``: one character each for the flavor, log2(N) - 1 and r - 1
(crypt's base64 alphabet), as every libxcrypt cost (1..11) writes them. The memory a check
needs, 128 * N * r bytes, is held to ``[passwords] scrypt_max_memory_bytes``. The extended
parameters (p, t, g, ROM) that no generator writes by default are refused.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import re

from authshift.passwords._codec import equal, hash64_index, utf8
from authshift.passwords.errors import CeilingExceeded, PasswordFormatError
from authshift.passwords.formats.base import Checked, Context, HashFormat

_SHAPE = re.compile(r"^\$y\$(?P<params>[./0-9A-Za-z]+)\$(?P<salt>[./0-9A-Za-z]*)\$(?P<hash>[./0-9A-Za-z]{43})$")
_CRYPT_DATA_SIZE = 32768  # >= sizeof(struct crypt_data) (32384 in libxcrypt 4.4)


@functools.cache
def _libcrypt() -> ctypes.CDLL:
    name = ctypes.util.find_library("crypt") or "libcrypt.so.1"
    try:
        lib = ctypes.CDLL(name)
        func = lib.crypt_rn
    except (OSError, AttributeError):
        raise PasswordFormatError("this system has no libxcrypt (libcrypt.so.1 with crypt_rn)", "yescrypt") from None
    func.argtypes = (ctypes.c_char_p, ctypes.c_char_p, ctypes.c_void_p, ctypes.c_int)
    func.restype = ctypes.c_char_p
    return lib


def libxcrypt_crypt(password: bytes, setting: bytes) -> bytes | None:
    """crypt(3) of the system's libxcrypt; None when it refuses the setting."""
    data = ctypes.create_string_buffer(_CRYPT_DATA_SIZE)
    out = _libcrypt().crypt_rn(password, setting, data, _CRYPT_DATA_SIZE)
    return None if out is None or out.startswith(b"*") else bytes(out)


class Yescrypt(HashFormat):
    name = "yescrypt"
    prefixes = ("$y$",)
    description = "yescrypt, /etc/shadow's default on current Debian, Ubuntu and Fedora (verified with the system's libxcrypt)."
    recognised_by = "prefix `$y$`"
    # Generated with libxcrypt 4.4 (Debian 12): crypt("pässword", crypt_gensalt("$y$", 5)), the
    # parameters `mkpasswd -m yescrypt` and passwd(1) use.
    example_password = "pässword"
    example = "$y$j9T$Tg0Fdt6OLqAzewajev39Y0$jBrSJsDkt6MqPgTMhCoPSERtC2gP3Sdeu1ewX7aXCN1"

    def check(self, value: str, ctx: Context) -> Checked:
        match = _SHAPE.match(value)
        if not match:
            raise self.fail("expected $y$<parameters>$<salt>$<43-character hash>")
        params = match["params"]
        if len(params) != 3:
            raise self.fail("extended yescrypt parameters (p, t, g, ROM) are not supported")
        n_log2, r = hash64_index(params[1]) + 1, hash64_index(params[2]) + 1
        if n_log2 > 46 or r > 47:
            raise self.fail("yescrypt parameters out of range")
        memory = 128 * (1 << n_log2) * r
        limit = ctx.limits.scrypt_max_memory_bytes
        if memory > limit:
            raise CeilingExceeded(
                f"needs {memory} bytes of memory, over the ceiling {limit} ([passwords] scrypt_max_memory_bytes)", self.name
            )
        setting, expected = value.encode("ascii"), value.encode("ascii")

        def matches(password: str) -> bool:
            secret = utf8(password)
            if b"\x00" in secret:
                return False  # crypt(3) takes C strings: such a password was never hashed
            actual = libxcrypt_crypt(secret, setting)
            return actual is not None and equal(actual, expected)

        return Checked(matches)
