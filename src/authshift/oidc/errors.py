"""OAuth 2.0 error responses (RFC 6749 section 5.2): JSON ``{"error", "error_description"}``.

The token, revocation and introspection endpoints answer with these, never with problem+json;
the authorization endpoint sends them back to the client's redirect URI as query parameters.
"""

from __future__ import annotations

from fastapi.responses import JSONResponse

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class OAuthError(Exception):
    """``error`` is one of RFC 6749's codes (``invalid_request``, ``invalid_client``,
    ``invalid_grant``, ``unauthorized_client``, ``unsupported_grant_type``, ``invalid_scope``) or
    an extension's (``login_required``, ``invalid_token``). The description never holds a secret."""

    def __init__(self, error: str, description: str, status: int = 400, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status
        self.headers = headers or {}

    def as_dict(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}

    def response(self) -> JSONResponse:
        return JSONResponse(self.as_dict(), status_code=self.status, headers={**NO_STORE, **self.headers})


def invalid_client(description: str = "client authentication failed", *, basic: bool = False) -> OAuthError:
    """RFC 6749 5.2: 401, with ``WWW-Authenticate`` when the client tried HTTP Basic."""
    headers = {"WWW-Authenticate": 'Basic realm="authshift"'} if basic else {}
    return OAuthError("invalid_client", description, 401, headers=headers)
