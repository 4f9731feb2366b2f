"""Standard Webhooks signatures (https://www.standardwebhooks.com), symmetric ``v1`` scheme.

Every request authshift sends to a legacy system (verify, lookup, write-back) and every webhook
delivery carries three headers:

- ``webhook-id``: the message id, unique per event and kept across retries (the receiver's
  idempotency key);
- ``webhook-timestamp``: the send time in integer Unix seconds;
- ``webhook-signature``: ``v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>``; several
  space-separated entries may be sent while a secret is being rotated, and one match suffices.

The secret is written ``whsec_<base64 key>``: the HMAC key is the base64-decoded part after the
prefix. Receivers refuse timestamps more than ``tolerance`` seconds (default 5 minutes) away
from their clock, which bounds replays.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time
from collections.abc import Mapping

from authshift.errors import AuthshiftError

__all__ = [
    "DEFAULT_TOLERANCE_SECONDS",
    "SECRET_PREFIX",
    "InvalidWebhookSecret",
    "MissingWebhookHeaders",
    "WebhookSignatureError",
    "WebhookSignatureMismatch",
    "WebhookTimestampOutOfTolerance",
    "generate_secret",
    "sign",
    "signed_headers",
    "verify",
]

SECRET_PREFIX = "whsec_"
DEFAULT_TOLERANCE_SECONDS = 300
_SIGNATURE_VERSION = "v1"
_HEADER_ID = "webhook-id"
_HEADER_TIMESTAMP = "webhook-timestamp"
_HEADER_SIGNATURE = "webhook-signature"


class WebhookSignatureError(AuthshiftError):
    """A signed request could not be authenticated. Messages never contain the secret."""

    status = 401
    title = "Invalid signature"
    type_slug = "invalid-signature"


class InvalidWebhookSecret(WebhookSignatureError):
    """The configured secret is not ``whsec_`` followed by non-empty base64."""


class MissingWebhookHeaders(WebhookSignatureError):
    """One of webhook-id, webhook-timestamp or webhook-signature is missing or empty."""


class WebhookTimestampOutOfTolerance(WebhookSignatureError):
    """webhook-timestamp is not an integer, or too far from the receiver's clock."""


class WebhookSignatureMismatch(WebhookSignatureError):
    """No ``v1`` entry of webhook-signature matches the body signed with the secret."""


def generate_secret(num_bytes: int = 32) -> str:
    """A fresh random secret in the ``whsec_<base64>`` form."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(num_bytes)).decode("ascii")


def _key(secret: str) -> bytes:
    if not secret.startswith(SECRET_PREFIX):
        raise InvalidWebhookSecret(f"webhook secret must start with {SECRET_PREFIX!r}")
    try:
        key = base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        raise InvalidWebhookSecret("webhook secret is not valid base64 after the prefix") from None
    if not key:
        raise InvalidWebhookSecret("webhook secret is empty")
    return key


def _signature(key: bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    signed_content = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed_content, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The value of the webhook-signature header for this message: ``v1,<base64>``."""
    return f"{_SIGNATURE_VERSION},{_signature(_key(secret), msg_id, timestamp, body)}"


def signed_headers(
    secret: str, body: bytes, *, msg_id: str | None = None, timestamp: int | None = None
) -> dict[str, str]:
    """The three Standard Webhooks headers for ``body``.

    ``msg_id`` should be the event's stable id when the message may be retried, so the
    receiver can drop duplicates; a random ``msg_...`` id is made when it is omitted.
    ``timestamp`` defaults to now.
    """
    msg_id = msg_id if msg_id is not None else "msg_" + secrets.token_urlsafe(18)
    timestamp = timestamp if timestamp is not None else int(time.time())
    return {
        _HEADER_ID: msg_id,
        _HEADER_TIMESTAMP: str(timestamp),
        _HEADER_SIGNATURE: sign(secret, msg_id, timestamp, body),
    }


def verify(
    secret: str,
    headers: Mapping[str, str],
    body: bytes,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
    *,
    now: float | None = None,
) -> str:
    """Authenticate a received message; return its webhook-id.

    ``headers`` may be any mapping (header names are matched case-insensitively).
    Raises a subclass of :class:`WebhookSignatureError` when the headers are missing, the
    timestamp is malformed or more than ``tolerance`` seconds from ``now``, or no ``v1``
    signature matches (compared in constant time).
    """
    key = _key(secret)
    lowered = {name.lower(): value for name, value in headers.items()}
    msg_id = lowered.get(_HEADER_ID, "")
    raw_timestamp = lowered.get(_HEADER_TIMESTAMP, "")
    raw_signatures = lowered.get(_HEADER_SIGNATURE, "")
    if not (msg_id and raw_timestamp and raw_signatures):
        raise MissingWebhookHeaders(
            f"{_HEADER_ID}, {_HEADER_TIMESTAMP} and {_HEADER_SIGNATURE} headers are required"
        )
    if not raw_timestamp.isascii() or not raw_timestamp.isdigit():
        raise WebhookTimestampOutOfTolerance(f"{_HEADER_TIMESTAMP} is not integer Unix seconds")
    timestamp = int(raw_timestamp)
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        raise WebhookTimestampOutOfTolerance(
            f"{_HEADER_TIMESTAMP} is more than {tolerance} seconds from the receiver's clock"
        )
    expected = _signature(key, msg_id, timestamp, body).encode("ascii")
    for entry in raw_signatures.split(" "):
        version, _, value = entry.partition(",")
        if version == _SIGNATURE_VERSION and hmac.compare_digest(value.encode("ascii", "replace"), expected):
            return msg_id
    raise WebhookSignatureMismatch("no webhook-signature entry matches the message")
