"""The token-exchange request (RFC 8693 section 2.1), parsed from the token endpoint's form.

    grant_type=urn:ietf:params:oauth:grant-type:token-exchange
    subject_token=...                   the legacy token (required)
    subject_token_type=urn:...          what it is (required)
    requested_token_type=urn:...        only access_token is issued (the default)
    scope, audience, resource           optional; checked against the client later

Delegation (``actor_token``) is not offered: the legacy token is exchanged for the same user.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from authshift.config import STANDARD_TOKEN_TYPES
from authshift.migration.token_exchange.errors import invalid_request

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"
JWT_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:jwt"
ID_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:id_token"
ISSUABLE_TOKEN_TYPES = (ACCESS_TOKEN_TYPE,)


@dataclass(frozen=True, repr=False)
class ExchangeRequest:
    subject_token: str
    subject_token_type: str
    requested_token_type: str
    scope: str | None
    audience: str | None
    resource: str | None

    def __repr__(self) -> str:  # the token never appears in a repr, log or traceback
        return f"ExchangeRequest(subject_token_type={self.subject_token_type!r}, scope={self.scope!r})"


def parse_request(form: Mapping[str, str], *, known_token_types: Sequence[str], max_token_bytes: int) -> ExchangeRequest:
    """Validate the form; raises ``ExchangeRefused(invalid_request)`` naming the bad parameter."""

    def optional(name: str) -> str | None:
        value = form.get(name)
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            raise invalid_request(f"{name} must be given once")
        return value

    subject_token = optional("subject_token")
    subject_token_type = optional("subject_token_type")
    if subject_token is None:
        raise invalid_request("subject_token is required")
    if subject_token_type is None:
        raise invalid_request("subject_token_type is required")
    if len(subject_token.encode()) > max_token_bytes:
        raise invalid_request(f"subject_token is longer than {max_token_bytes} bytes")
    if subject_token_type not in STANDARD_TOKEN_TYPES and subject_token_type not in known_token_types:
        raise invalid_request("subject_token_type is not a token type this server accepts")
    if optional("actor_token") is not None or optional("actor_token_type") is not None:
        raise invalid_request("actor_token (delegation) is not supported")
    requested = optional("requested_token_type") or ACCESS_TOKEN_TYPE
    if requested not in ISSUABLE_TOKEN_TYPES:
        raise invalid_request(f"requested_token_type must be {ACCESS_TOKEN_TYPE}")
    return ExchangeRequest(
        subject_token=subject_token,
        subject_token_type=subject_token_type,
        requested_token_type=requested,
        scope=optional("scope"),
        audience=optional("audience"),
        resource=optional("resource"),
    )
