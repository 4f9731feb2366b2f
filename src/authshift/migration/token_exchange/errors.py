"""Why an exchange is refused, in RFC 8693 section 2.2.2 / RFC 6749 section 5.2 terms.

``description`` goes to the client (it never contains the token or a secret); ``reason`` is the
operator's detail, logged with the token's digest prefix and never sent.
"""

from __future__ import annotations

from authshift.errors import AuthshiftError

INVALID_REQUEST = "invalid_request"
INVALID_GRANT = "invalid_grant"
INVALID_TARGET = "invalid_target"
INVALID_SCOPE = "invalid_scope"
SLOW_DOWN = "slow_down"


class ExchangeRefused(AuthshiftError):
    """A token exchange that must not succeed; ``error`` is the OAuth error code."""

    status = 400
    title = "Token exchange refused"
    type_slug = "token-exchange-refused"

    def __init__(self, error: str, description: str, *, reason: str | None = None, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.reason = reason or description
        self.status = status

    def oauth_body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


def invalid_request(description: str) -> ExchangeRefused:
    return ExchangeRefused(INVALID_REQUEST, description)


def invalid_grant(description: str, reason: str | None = None) -> ExchangeRefused:
    return ExchangeRefused(INVALID_GRANT, description, reason=reason)
