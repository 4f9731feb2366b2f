"""Provider metadata (OpenID Connect Discovery 1.0 section 3, RFC 8414).

Every endpoint is advertised under the issuer URL; ``grant_types_supported`` lists the grants
registered in ``GRANT_HANDLERS`` at the time of the request (token exchange appears once its
module has registered it).
"""

from __future__ import annotations

from typing import Any

from authshift.oidc.claims import CLAIMS_SUPPORTED, OIDC_SCOPES
from authshift.oidc.client_auth import AUTH_METHODS
from authshift.oidc.grants import GRANT_HANDLERS
from authshift.oidc.keys import SUPPORTED_ALGS

PATHS = {
    "authorization_endpoint": "/oauth2/authorize",
    "token_endpoint": "/oauth2/token",
    "userinfo_endpoint": "/oauth2/userinfo",
    "jwks_uri": "/.well-known/jwks.json",
    "revocation_endpoint": "/oauth2/revoke",
    "introspection_endpoint": "/oauth2/introspect",
    "end_session_endpoint": "/oauth2/logout",
}


def provider_metadata(issuer: str) -> dict[str, Any]:
    endpoints = {name: issuer + path for name, path in PATHS.items()}
    return {
        "issuer": issuer,
        **endpoints,
        "scopes_supported": list(OIDC_SCOPES),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": list(GRANT_HANDLERS),
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": list(SUPPORTED_ALGS),
        "token_endpoint_auth_methods_supported": list(AUTH_METHODS),
        "revocation_endpoint_auth_methods_supported": list(AUTH_METHODS),
        "introspection_endpoint_auth_methods_supported": [m for m in AUTH_METHODS if m != "none"],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": list(CLAIMS_SUPPORTED),
        "prompt_values_supported": ["none", "login", "consent", "select_account"],
        "claims_parameter_supported": False,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        "authorization_response_iss_parameter_supported": True,
        "frontchannel_logout_supported": False,
        "backchannel_logout_supported": False,
    }
