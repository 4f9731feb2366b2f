"""Drupal 7+ password hashes (includes/password.inc).

``$S$``: the phpass construction with SHA-512, output cut to 55 characters. ``U$S$...`` (and
``U$P$`` / ``U$H$``) are Drupal 6 md5 hashes that Drupal 7's user_update_7000() rehashed:
the password is md5-hexed first. Drupal's ``$P$`` / ``$H$`` hashes are plain phpass (phpass.py).
"""

from __future__ import annotations

import hashlib

from authshift.passwords._codec import utf8
from authshift.passwords.formats.base import Checked, Context
from authshift.passwords.formats.phpass import Phpass, PortableHashFormat


class Drupal7(PortableHashFormat):
    name = "drupal7_sha512"
    idents = ("$S$",)
    digest = "sha512"
    checksum_len = 43
    description = "Drupal 7+ (user_hash_password): phpass construction with SHA-512, 55 characters."
    recognised_by = "prefix `$S$`"
    # From the ruby-drupal-hash README (a hash taken from a Drupal 7 site).
    example_password = "password1234"
    example = "$S$DeIZ1KTE.VzRvudZ5.xgOakipuMFrVyPmRdWTjAdYieWj27NMglI"


def _md5_hex(password: str) -> bytes:
    return hashlib.md5(utf8(password)).hexdigest().encode("ascii")


class Drupal7Upgraded(PortableHashFormat):
    name = "drupal7_upgraded_md5"
    prefix = "U"
    idents = ("$S$", "$P$", "$H$")
    digest = "sha512"
    checksum_len = 43
    description = "Drupal 6 md5 hash rehashed by Drupal 7's update (`U$S$...`): the phpass construction over md5(password)."
    recognised_by = "prefix `U$S$` (or `U$P$`, `U$H$`)"
    example_password = "SimpleEasyPassword"
    # From a public Django project's Drupal-migration hasher tests (a hash from user_update_7000()).
    example = "U$S$5I5Ht7YwxFRiMiJhBjyt42Ji2WRndX2dCx1jyktH92PeQp0xWdgi"

    def check(self, value: str, ctx: Context) -> Checked:
        if value.startswith(("U$P$", "U$H$")):
            phpass = Phpass()
            checked = phpass.check(value[1:], ctx)
            return Checked(lambda password: checked.matches(_md5_hex(password).decode("ascii")))
        return super().check(value, ctx)

    @staticmethod
    def prepare(password: str) -> bytes:
        return _md5_hex(password)
