"""Settings of the legacy application, all from the environment.

LEGACY_DB_PATH            SQLite file (required)
LEGACY_WEBHOOK_SECRET     whsec_<base64> secret that signs every request to /authshift/* (required)
LEGACY_PASSWORD_HASHERS   comma-separated hasher algorithms (pbkdf2_sha256, pbkdf2_sha1, argon2,
                          bcrypt_sha256, bcrypt, scrypt, md5) or dotted class paths; the first one
                          hashes new passwords, the others are still verified (Django's rules)
LEGACY_PBKDF2_ITERATIONS  iterations for pbkdf2_sha256 / pbkdf2_sha1 (default: Django's own)
LEGACY_ENABLE_CONTROL     "1" turns on the signed test-control surface under /_control/
LEGACY_SECRET_KEY         Django SECRET_KEY (a development value by default: nothing here signs cookies)
"""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def _required(name: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        raise RuntimeError(f"environment variable {name} is required")
    return value


SECRET_KEY = os.environ.get("LEGACY_SECRET_KEY", "legacy-app-development-key-not-used-for-anything-secret")
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "legacy_users",
]
MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]
ROOT_URLCONF = "legacy_site.urls"
APPEND_SLASH = False

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": _required("LEGACY_DB_PATH"),
        "OPTIONS": {
            # WAL lets the test fixture read the file while the server writes;
            # IMMEDIATE transactions serialise concurrent writers instead of failing them.
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        },
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

_HASHER_CLASSES = {
    "pbkdf2_sha256": "legacy_users.hashers.PBKDF2PasswordHasher",
    "pbkdf2_sha1": "legacy_users.hashers.PBKDF2SHA1PasswordHasher",
    "argon2": "django.contrib.auth.hashers.Argon2PasswordHasher",
    "bcrypt_sha256": "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "bcrypt": "django.contrib.auth.hashers.BCryptPasswordHasher",
    "scrypt": "django.contrib.auth.hashers.ScryptPasswordHasher",
    "md5": "django.contrib.auth.hashers.MD5PasswordHasher",
}
_DEFAULT_HASHERS = "pbkdf2_sha256,pbkdf2_sha1,argon2,bcrypt_sha256,scrypt"


def _hashers(spec: str) -> list[str]:
    names = [name.strip() for name in spec.split(",") if name.strip()]
    if not names:
        raise RuntimeError("LEGACY_PASSWORD_HASHERS names no hasher")
    unknown = [name for name in names if name not in _HASHER_CLASSES and "." not in name]
    if unknown:
        raise RuntimeError(f"LEGACY_PASSWORD_HASHERS: unknown hashers {unknown}; known: {sorted(_HASHER_CLASSES)}")
    return [_HASHER_CLASSES.get(name, name) for name in names]


PASSWORD_HASHERS = _hashers(os.environ.get("LEGACY_PASSWORD_HASHERS", _DEFAULT_HASHERS))
LEGACY_PBKDF2_ITERATIONS = int(os.environ["LEGACY_PBKDF2_ITERATIONS"]) if os.environ.get("LEGACY_PBKDF2_ITERATIONS") else None

LEGACY_WEBHOOK_SECRET = _required("LEGACY_WEBHOOK_SECRET")
LEGACY_WEBHOOK_TOLERANCE_SECONDS = 300
LEGACY_ENABLE_CONTROL = os.environ.get("LEGACY_ENABLE_CONTROL") == "1"

USE_TZ = True
TIME_ZONE = "UTC"
USE_I18N = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "INFO"},
}
