"""The configured legacy issuers, and which one a presented token belongs to.

Routing (the token is never sent to an issuer it does not belong to):

1. A JWT (a JWS whose payload has a string ``iss``) goes to the issuer whose ``issuer`` equals
   that ``iss`` exactly, whatever its type. No such issuer: ``invalid_grant`` (unknown issuer).
2. Any other token is opaque: it goes to the introspection or hook issuer that lists the
   ``subject_token_type`` in ``token_types``, else to the one introspection/hook issuer that
   lists no ``token_types`` (and so takes the standard types). The settings refuse
   configurations where this could name two issuers.

A disabled issuer (``enabled = false``) is still routed to, then refused: its tokens are not
"unknown", and they must not fall through to another issuer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import httpx
from joserfc import jws

from authshift.config import STANDARD_TOKEN_TYPES, TokenExchangeIssuerSettings, TokenExchangeSettings
from authshift.migration.token_exchange.errors import invalid_grant, invalid_request
from authshift.migration.token_exchange.outbound import new_client
from authshift.migration.token_exchange.validators import Validator, build_validator, parse_jws, unverified_claims
from authshift.migration.token_exchange.verified import VerifiedToken


@dataclass
class LegacyIssuer:
    settings: TokenExchangeIssuerSettings
    validator: Validator

    @property
    def name(self) -> str:
        return self.settings.name

    def accepts(self, token_type: str) -> bool:
        return token_type in (self.settings.token_types or STANDARD_TOKEN_TYPES)


class IssuerRegistry:
    """The issuers of ``[migration.token_exchange]``, with their JWKS caches and one HTTP client."""

    def __init__(self, settings: TokenExchangeSettings) -> None:
        self._http: httpx.AsyncClient | None = None
        self.issuers = [LegacyIssuer(cfg, build_validator(cfg, self.http)) for cfg in settings.issuers]
        self._by_iss = {i.settings.issuer: i for i in self.issuers if i.settings.issuer}
        self._opaque = [i for i in self.issuers if i.settings.type != "jwt"]

    def http(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = new_client()
        return self._http

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    @property
    def token_types(self) -> Sequence[str]:
        return [t for i in self.issuers for t in i.settings.token_types]

    def get(self, name: str) -> LegacyIssuer | None:
        return next((i for i in self.issuers if i.name == name), None)

    def route(self, token: str, token_type: str) -> tuple[LegacyIssuer, jws.CompactSignature | None]:
        obj = parse_jws(token)
        claims = unverified_claims(obj) if obj is not None else None
        iss = claims.get("iss") if claims is not None else None
        if isinstance(iss, str):
            issuer = self._by_iss.get(iss)
            if issuer is None:
                raise invalid_grant("the subject token's issuer is not trusted", "unknown issuer (iss)")
        else:
            issuer = self._opaque_issuer(token_type)
        if not issuer.accepts(token_type):
            raise invalid_request(f"issuer {issuer.name} does not accept subject_token_type {token_type}")
        if not issuer.settings.enabled:
            raise invalid_grant("the subject token's issuer is disabled", f"issuer {issuer.name} is disabled")
        return issuer, obj

    def _opaque_issuer(self, token_type: str) -> LegacyIssuer:
        declared = [i for i in self._opaque if token_type in i.settings.token_types]
        if not declared and token_type in STANDARD_TOKEN_TYPES:
            declared = [i for i in self._opaque if not i.settings.token_types]
        if not declared:
            raise invalid_grant(
                "no trusted issuer takes opaque tokens of this type", f"no introspection/hook issuer for {token_type}"
            )
        return declared[0]

    async def verify(self, token: str, token_type: str) -> VerifiedToken:
        issuer, obj = self.route(token, token_type)
        return await issuer.validator.verify(token, token_type, obj)
