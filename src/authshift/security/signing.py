"""Tamper-proof, expiring tokens for small JSON payloads (cookies, hidden form fields).

HMAC-SHA256 with a key derived from the instance's secret key and a purpose label, so a value
signed for one purpose (a session cookie) is never accepted for another (a login step).
The payload is signed, not encrypted: never put a secret in it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any


class BadSignature(ValueError):
    """The value was not signed by this instance for this purpose, or it has expired."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def derive_key(secret_key: bytes, purpose: str) -> bytes:
    return hmac.new(secret_key, b"authshift:" + purpose.encode(), hashlib.sha256).digest()


class Signer:
    def __init__(self, secret_key: bytes, purpose: str) -> None:
        self._key = derive_key(secret_key, purpose)

    def _mac(self, body: str) -> str:
        return _b64(hmac.new(self._key, body.encode(), hashlib.sha256).digest())

    def sign(self, payload: dict[str, Any], *, ttl_seconds: int) -> str:
        data = {"p": payload, "exp": int(time.time()) + ttl_seconds}
        body = _b64(json.dumps(data, separators=(",", ":"), sort_keys=True).encode())
        return f"{body}.{self._mac(body)}"

    def unsign(self, token: str) -> dict[str, Any]:
        body, _, mac = token.partition(".")
        if not body or not mac or not hmac.compare_digest(mac, self._mac(body)):
            raise BadSignature("the value was not signed by this instance")
        try:
            data = json.loads(_unb64(body))
        except ValueError as exc:
            raise BadSignature("the value is malformed") from exc
        if int(data.get("exp", 0)) < time.time():
            raise BadSignature("the value has expired")
        payload = data.get("p")
        if not isinstance(payload, dict):
            raise BadSignature("the value is malformed")
        return payload


def mac_hex(secret_key: bytes, purpose: str, message: str) -> str:
    """A keyed digest of ``message`` (for values that are compared, never read back)."""
    return hmac.new(derive_key(secret_key, purpose), message.encode(), hashlib.sha256).hexdigest()
