"""Standard Webhooks signing: the published test vector, round trips, and every refusal."""

from __future__ import annotations

import base64

import httpx
import pytest

from authshift.security.webhook_signatures import (
    InvalidWebhookSecret,
    MissingWebhookHeaders,
    WebhookSignatureMismatch,
    WebhookTimestampOutOfTolerance,
    generate_secret,
    sign,
    signed_headers,
    verify,
)

# The example of the Standard Webhooks specification and of its reference libraries.
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SPEC_TIMESTAMP = 1614265330
SPEC_BODY = b'{"test": 2432232314}'
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def spec_headers(signature: str = SPEC_SIGNATURE) -> dict[str, str]:
    return {"webhook-id": SPEC_ID, "webhook-timestamp": str(SPEC_TIMESTAMP), "webhook-signature": signature}


def test_sign_matches_the_specification_example() -> None:
    assert sign(SPEC_SECRET, SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY) == SPEC_SIGNATURE


def test_verify_accepts_the_specification_example_and_returns_its_id() -> None:
    assert verify(SPEC_SECRET, spec_headers(), SPEC_BODY, now=SPEC_TIMESTAMP + 10) == SPEC_ID


def test_verify_matches_header_names_case_insensitively() -> None:
    headers = httpx.Headers({"Webhook-Id": SPEC_ID, "Webhook-Timestamp": str(SPEC_TIMESTAMP),
                             "Webhook-Signature": SPEC_SIGNATURE})
    assert verify(SPEC_SECRET, headers, SPEC_BODY, now=SPEC_TIMESTAMP) == SPEC_ID


def test_one_matching_entry_among_several_suffices() -> None:
    other = sign(generate_secret(), SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY)
    headers = spec_headers(f"v2,abc {other} {SPEC_SIGNATURE}")
    assert verify(SPEC_SECRET, headers, SPEC_BODY, now=SPEC_TIMESTAMP) == SPEC_ID


def test_signed_headers_round_trip_with_a_generated_secret() -> None:
    secret = generate_secret()
    assert secret.startswith("whsec_") and len(base64.b64decode(secret[6:])) == 32
    headers = signed_headers(secret, b"{}", msg_id="evt_1")
    assert headers["webhook-id"] == "evt_1"
    assert verify(secret, headers, b"{}") == "evt_1"


def test_signed_headers_invent_a_fresh_id_when_none_is_given() -> None:
    secret = generate_secret()
    first, second = signed_headers(secret, b"x"), signed_headers(secret, b"x")
    assert first["webhook-id"].startswith("msg_") and first["webhook-id"] != second["webhook-id"]


@pytest.mark.parametrize(
    "body", [b'{"test": 2432232315}', b'{"test": 2432232314} ', b""], ids=["changed", "appended", "empty"]
)
def test_a_tampered_body_is_refused(body: bytes) -> None:
    with pytest.raises(WebhookSignatureMismatch):
        verify(SPEC_SECRET, spec_headers(), body, now=SPEC_TIMESTAMP)


def test_a_wrong_secret_is_refused() -> None:
    with pytest.raises(WebhookSignatureMismatch):
        verify(generate_secret(), spec_headers(), SPEC_BODY, now=SPEC_TIMESTAMP)


@pytest.mark.parametrize(
    "signature",
    [SPEC_SIGNATURE.replace("v1,", "v2,"), SPEC_SIGNATURE[3:], "v1,", "v1," + "A" * 44],
    ids=["other-version", "no-version", "empty-value", "wrong-value"],
)
def test_malformed_or_foreign_signature_entries_are_refused(signature: str) -> None:
    with pytest.raises(WebhookSignatureMismatch):
        verify(SPEC_SECRET, spec_headers(signature), SPEC_BODY, now=SPEC_TIMESTAMP)


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_each_missing_header_is_refused(missing: str) -> None:
    headers = spec_headers()
    del headers[missing]
    with pytest.raises(MissingWebhookHeaders):
        verify(SPEC_SECRET, headers, SPEC_BODY, now=SPEC_TIMESTAMP)


@pytest.mark.parametrize("offset", [-301, 301])
def test_a_timestamp_outside_the_tolerance_is_refused(offset: int) -> None:
    with pytest.raises(WebhookTimestampOutOfTolerance):
        verify(SPEC_SECRET, spec_headers(), SPEC_BODY, now=SPEC_TIMESTAMP + offset)


def test_the_tolerance_boundary_is_inclusive_and_configurable() -> None:
    assert verify(SPEC_SECRET, spec_headers(), SPEC_BODY, now=SPEC_TIMESTAMP - 300) == SPEC_ID
    with pytest.raises(WebhookTimestampOutOfTolerance):
        verify(SPEC_SECRET, spec_headers(), SPEC_BODY, tolerance=5, now=SPEC_TIMESTAMP + 6)


@pytest.mark.parametrize("timestamp", ["1614265330.5", "-1614265330", "soon", "１２３"])
def test_a_non_integer_timestamp_is_refused(timestamp: str) -> None:
    headers = spec_headers() | {"webhook-timestamp": timestamp}
    with pytest.raises(WebhookTimestampOutOfTolerance):
        verify(SPEC_SECRET, headers, SPEC_BODY, now=SPEC_TIMESTAMP)


@pytest.mark.parametrize("secret", ["MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_", "whsec_not base64!"])
def test_a_malformed_secret_is_refused_without_echoing_it(secret: str) -> None:
    with pytest.raises(InvalidWebhookSecret) as raised:
        sign(secret, SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY)
    message = str(raised.value)
    assert "MfKQ9r8" not in message and "not base64!" not in message
