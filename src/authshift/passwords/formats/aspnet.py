"""ASP.NET Identity's PasswordHasher (the PasswordHash column), given as an object.

The column is base64 with no self-describing prefix, so it is imported as
``{"algorithm": "aspnet_identity", "hash": "<PasswordHash>"}``; the version is its first byte:
- v2 ``0x00 | salt(16) | subkey(32)``: PBKDF2-HMAC-SHA1, 1000 iterations (ASP.NET Identity 2, MVC 5)
- v3 ``0x01 | prf(u32 BE) | iterations(u32 BE) | salt length(u32 BE) | salt | subkey``; prf 0 = SHA-1,
  1 = SHA-256, 2 = SHA-512 (ASP.NET Core Identity; 10000 iterations SHA-256 before .NET 7,
  100000 iterations SHA-512 since)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from authshift.passwords._codec import b64decode, str_field
from authshift.passwords.formats.base import Checked, Context, StructuredFormat
from authshift.passwords.formats.pbkdf2 import check_iterations, pbkdf2_matcher

_PRFS = {0: "sha1", 1: "sha256", 2: "sha512"}
MIN_SALT_AND_SUBKEY = 16  # ASP.NET refuses salts and subkeys under 128 bits


class AspNetIdentity(StructuredFormat):
    name = "aspnet_identity"
    algorithms = ("aspnet_identity", "aspnet-identity", "aspnetcore_identity", "aspnet")
    description = "ASP.NET Identity v2 and ASP.NET Core Identity v3 PasswordHash (version from the first byte)."
    recognised_by = 'object `{"algorithm": "aspnet_identity", "hash": "<PasswordHash column>"}`'
    # From ASP.NET Core's PasswordHasherTest (src/Identity/test/Identity.Test/PasswordHasherTest.cs).
    example_password = "my password"
    example = {
        "algorithm": "aspnet_identity",
        "hash": "AQAAAAIAACcQAAAAEAABAgMEBQYHCAkKCwwNDg9B0Oxwty+PGIDSp95gcCfzeDvA4sGapUIUov8usXfD6A==",
    }

    def load(self, obj: Mapping[str, Any], ctx: Context) -> tuple[dict[str, Any], Checked]:
        text = str_field(obj, "hash", self.name)
        raw = b64decode(text, self.name, "hash")
        if not raw:
            raise self.fail("hash is empty")
        version = raw[0]
        if version == 0x00:
            if len(raw) != 49:
                raise self.fail("a version 2 hash is 49 bytes (0x00, 16-byte salt, 32-byte subkey)")
            digest, iterations, salt, subkey = "sha1", 1000, raw[1:17], raw[17:]
        elif version == 0x01:
            if len(raw) < 13:
                raise self.fail("a version 3 hash is too short for its 13-byte header")
            prf = int.from_bytes(raw[1:5], "big")
            iterations = int.from_bytes(raw[5:9], "big")
            salt_len = int.from_bytes(raw[9:13], "big")
            if prf not in _PRFS:
                raise self.fail(f"unknown PRF {prf} (0 = SHA-1, 1 = SHA-256, 2 = SHA-512)")
            if salt_len < MIN_SALT_AND_SUBKEY or 13 + salt_len + MIN_SALT_AND_SUBKEY > len(raw):
                raise self.fail("salt length in the header does not fit the hash")
            digest, salt, subkey = _PRFS[prf], raw[13 : 13 + salt_len], raw[13 + salt_len :]
            check_iterations(iterations, self.name, ctx)
        else:
            raise self.fail(f"unknown version byte 0x{version:02x} (0x00 = v2, 0x01 = v3)")
        return {"algorithm": "aspnet_identity", "hash": text}, Checked(pbkdf2_matcher(digest, salt, iterations, subkey))
