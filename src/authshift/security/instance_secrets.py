"""The instance's own secrets: one for signing (cookies, CSRF) and one for encryption at rest.

Given as ``AUTHSHIFT_SECRET_KEY`` / ``AUTHSHIFT_ENCRYPTION_KEY``, or generated on first start and
kept in ``secrets_file`` (mode 0600). Several processes that share a database must share these:
give them in the environment, or point every process at the same secrets file.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from authshift.config import Settings


@dataclass(frozen=True, repr=False)
class InstanceSecrets:
    secret_key: bytes
    encryption_key: bytes

    def __repr__(self) -> str:
        return "InstanceSecrets(<redacted>)"


def _decode(value: str) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except ValueError:
        raw = value.encode()
    if len(raw) < 32:
        raw = value.encode()
    if len(raw) < 32:
        raise ValueError("secrets must be at least 32 bytes (or 43 characters of URL-safe base64)")
    return raw


def _generate() -> dict[str, str]:
    return {
        "secret_key": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("="),
        "encryption_key": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("="),
    }


def _read_or_create(path: Path) -> dict[str, str]:
    if path.exists():
        return json.loads(path.read_text())
    path.parent.mkdir(parents=True, exist_ok=True)
    data = _generate()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process won the race: use its secrets
        return json.loads(path.read_text())
    with os.fdopen(fd, "w") as fh:
        json.dump(data, fh)
    return data


def load_instance_secrets(settings: Settings) -> InstanceSecrets:
    given_secret = settings.secret_key.get_secret_value() if settings.secret_key else None
    given_enc = settings.encryption_key.get_secret_value() if settings.encryption_key else None
    stored: dict[str, str] = {}
    if not (given_secret and given_enc):
        stored = _read_or_create(settings.secrets_file)
    return InstanceSecrets(
        secret_key=_decode(given_secret or stored["secret_key"]),
        encryption_key=_decode(given_enc or stored["encryption_key"]),
    )
