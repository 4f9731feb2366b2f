"""Windows NT hashes: MD4 of the UTF-16LE password (what Samba, Active Directory dumps, FreeRADIUS
and many Windows-era systems hold).

Self-describing as FreeBSD's ``$3$$<hex>`` (passlib's bsd_nthash). The bare 32 hex digits an NT
hash usually comes as have the shape of an unsalted MD5, which comes first in the registry: a bare
NT hash is read as one only when the import names the format (``"format": "nt"``).
"""

from __future__ import annotations

import re

from authshift.passwords._codec import encode_password, equal, hexdecode
from authshift.passwords._md4 import md4
from authshift.passwords.formats.base import Checked, Context, HashFormat

_HEX32 = re.compile(r"^[0-9a-fA-F]{32}$")
BSD_PREFIX = "$3$$"


class NtHash(HashFormat):
    name = "nt_hash"
    families = ("ntlm", "nthash")
    named_only = True
    prefixes = (BSD_PREFIX,)
    description = "Windows NT hash: MD4 of the UTF-16LE password, as 32 hex digits (named) or FreeBSD's `$3$$<hex>`."
    recognised_by = 'prefix `$3$$`; bare 32 hex digits when the import names the format (`"format": "nt"`)'
    # The NT hash of "password" (the value in Microsoft's and Samba's documentation; passlib's
    # nthash gives the same).
    example_password = "password"
    example = {"hash": "8846f7eaee8fb117ad06bdd830b7586c", "format": "nt_hash"}

    def recognises(self, value: str) -> bool:
        return value.startswith(BSD_PREFIX) or bool(_HEX32.match(value))

    def check(self, value: str, ctx: Context) -> Checked:
        digits = value[len(BSD_PREFIX):] if value.startswith(BSD_PREFIX) else value
        if not _HEX32.match(digits):
            raise self.fail("expected 32 hex digits (optionally after $3$$)")
        expected = hexdecode(digits, self.name, "hash")

        def matches(password: str) -> bool:
            secret = encode_password(password, "utf16le")
            return secret is not None and equal(md4(secret), expected)

        return Checked(matches)
