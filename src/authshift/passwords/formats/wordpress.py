"""WordPress 6.8+ password hashes ``$wp$2y$...`` (wp-includes/pluggable.php).

bcrypt over base64(HMAC-SHA384(key "wp-sha384", password)), so passwords longer than bcrypt's
72 bytes keep their entropy. Older WordPress hashes are phpass ``$P$`` (phpass.py).
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from authshift.passwords._codec import utf8
from authshift.passwords.formats.base import Checked, Context, HashFormat
from authshift.passwords.formats.bcrypt import bcrypt_matcher, parse_bcrypt


def _wordpress_prehash(password: str) -> bytes:
    """WordPress 6.8 wp_check_password(): base64(HMAC-SHA384(key "wp-sha384", password))."""
    digest = hmac.new(b"wp-sha384", utf8(password), hashlib.sha384).digest()
    return base64.b64encode(digest)


class WordPressBcrypt(HashFormat):
    name = "wordpress_bcrypt"
    description = "WordPress 6.8+: bcrypt over base64(HMAC-SHA384 keyed 'wp-sha384' of the password)."
    recognised_by = "prefix `$wp$2y$`"
    # Generated with PHP's construction (hash_hmac sha384 'wp-sha384', base64, then bcrypt) using the bcrypt package.
    example_password = "Flip5times.14"
    example = "$wp$2y$04$G5d3nRfTQW1iNGkGW8/Rxupr7IsTTIa2jjv1AB1DH01VduO9T4ije"

    def recognises(self, value: str) -> bool:
        return value.startswith("$wp$2")

    def check(self, value: str, ctx: Context) -> Checked:
        inner = value[3:]
        parse_bcrypt(inner, self.name, ctx)
        return Checked(bcrypt_matcher(inner, self.name, _wordpress_prehash))
