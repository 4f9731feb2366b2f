"""Standard Webhooks verification, written for this application from the specification.

It deliberately does not import authshift: the legacy system is a separate product, and an
independent implementation is what catches a mistake in authshift's signer.

Headers: webhook-id, webhook-timestamp (Unix seconds), webhook-signature (space-separated
"v1,<base64>" entries). Signed content: "{id}.{timestamp}.{raw body}", HMAC-SHA256 keyed with the
base64 part of the "whsec_..." secret. Timestamps more than the tolerance away are refused.
"""

import base64
import hashlib
import hmac
import time

from django.conf import settings


class SignatureRejected(Exception):
    """The request is not signed with our secret (the reason is safe to show)."""


def _secret_key() -> bytes:
    secret = settings.LEGACY_WEBHOOK_SECRET
    if not secret.startswith("whsec_"):
        raise SignatureRejected("server secret is not configured as whsec_<base64>")
    return base64.b64decode(secret[len("whsec_") :])


def check_request(request) -> str:
    """Return the webhook-id of a correctly signed request, or raise SignatureRejected."""
    msg_id = request.headers.get("webhook-id", "")
    timestamp = request.headers.get("webhook-timestamp", "")
    signatures = request.headers.get("webhook-signature", "")
    if not (msg_id and timestamp and signatures):
        raise SignatureRejected("missing webhook-id, webhook-timestamp or webhook-signature")
    if not (timestamp.isascii() and timestamp.isdigit()):
        raise SignatureRejected("webhook-timestamp is not Unix seconds")
    if abs(time.time() - int(timestamp)) > settings.LEGACY_WEBHOOK_TOLERANCE_SECONDS:
        raise SignatureRejected("webhook-timestamp outside the tolerance")
    content = msg_id.encode() + b"." + timestamp.encode() + b"." + request.body
    expected = base64.b64encode(hmac.new(_secret_key(), content, hashlib.sha256).digest())
    for entry in signatures.split():
        version, _, value = entry.partition(",")
        if version == "v1" and hmac.compare_digest(value.encode("ascii", "replace"), expected):
            return msg_id
    raise SignatureRejected("signature does not match")
