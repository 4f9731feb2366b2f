"""Django's PBKDF2 hashers with the iteration count the deployment chose (LEGACY_PBKDF2_ITERATIONS).

Same algorithm names and hash strings as Django's; only the cost differs, which a hash string
records, so any Django-compatible verifier checks these hashes.
"""

from django.conf import settings
from django.contrib.auth import hashers


class PBKDF2PasswordHasher(hashers.PBKDF2PasswordHasher):
    def __init__(self) -> None:
        if settings.LEGACY_PBKDF2_ITERATIONS:
            self.iterations = settings.LEGACY_PBKDF2_ITERATIONS


class PBKDF2SHA1PasswordHasher(hashers.PBKDF2SHA1PasswordHasher):
    def __init__(self) -> None:
        if settings.LEGACY_PBKDF2_ITERATIONS:
            self.iterations = settings.LEGACY_PBKDF2_ITERATIONS
