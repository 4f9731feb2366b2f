"""A legacy issuer's signing keys, fetched from its ``jwks_uri`` and cached.

The keys are fetched on first use, again when they are older than ``max_age_seconds`` (so a key
the issuer withdrew stops being accepted), and again when a token names a ``kid`` the cache does
not know (the issuer rotated its keys). Whatever the reason, at most one fetch happens per
``min_refresh_seconds``: tokens with made-up ``kid`` values cannot make authshift hammer the
legacy JWKS endpoint. Concurrent requests share one fetch.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import httpx
from joserfc.errors import JoseError
from joserfc.jwk import JWKRegistry, Key

from authshift.logs import get_logger
from authshift.migration.token_exchange.errors import invalid_grant
from authshift.migration.token_exchange.outbound import IssuerUnavailable, request_json

log = get_logger("authshift.token_exchange.jwks")


class JwksCache:
    def __init__(
        self,
        uri: str,
        client: Callable[[], httpx.AsyncClient],
        *,
        min_refresh_seconds: float,
        max_age_seconds: float,
        timeout_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.uri = uri
        self._client = client
        self._min_refresh = min_refresh_seconds
        self._max_age = max_age_seconds
        self._timeout = timeout_seconds
        self._clock = clock
        self._by_kid: dict[str, Key] = {}
        self._without_kid: list[Key] = []
        self._fetched_at: float | None = None  # last successful fetch
        self._attempted_at: float | None = None  # last fetch, successful or not
        self._lock = asyncio.Lock()
        self.fetches = 0

    @property
    def kids(self) -> list[str]:
        return sorted(self._by_kid)

    def _may_fetch(self, now: float) -> bool:
        return self._attempted_at is None or now - self._attempted_at >= self._min_refresh

    def _stale(self, now: float) -> bool:
        return self._fetched_at is None or now - self._fetched_at > self._max_age

    def _find(self, kid: str | None, alg: str) -> Key | None:
        if kid is not None:
            return self._by_kid.get(kid)
        usable = [k for k in [*self._by_kid.values(), *self._without_kid] if k.alg in (None, alg)]
        return usable[0] if len(usable) == 1 else None

    async def key_for(self, kid: str | None, alg: str) -> Key:
        """The key that should verify a token with this header; raises ``invalid_grant`` if none."""
        if self._stale(self._clock()):
            await self._refresh(reason="stale", wanted=None)
        key = self._find(kid, alg)
        if key is None:
            await self._refresh(reason="unknown kid", wanted=kid)
            key = self._find(kid, alg)
        if key is None:
            what = f"kid {kid!r}" if kid is not None else "a token without kid (several or no candidate keys)"
            raise invalid_grant("the subject token is signed with an unknown key", f"{what} is not in the issuer's JWKS")
        return key

    async def _refresh(self, *, reason: str, wanted: str | None) -> None:
        async with self._lock:
            now = self._clock()
            if wanted is not None and wanted in self._by_kid:
                return  # another request fetched it while this one waited
            if reason == "stale" and not self._stale(now):
                return
            if not self._may_fetch(now):
                if self._fetched_at is None:
                    raise IssuerUnavailable("JWKS not fetched yet and the refresh floor has not passed")
                log.info("jwks refresh skipped (floor)", jwks_uri=self.uri, why=reason, kid=wanted)
                return
            self._attempted_at = now
            self.fetches += 1
            try:
                keys = await self._fetch()
            except IssuerUnavailable as exc:
                log.warning("jwks fetch failed", jwks_uri=self.uri, why=exc.reason)
                if self._fetched_at is None:
                    raise
                return  # keep the keys we have: the issuer is down, its keys did not change
            self._by_kid = {str(k.kid): k for k in keys if k.kid}
            self._without_kid = [k for k in keys if not k.kid]
            self._fetched_at = now
            log.info("jwks fetched", jwks_uri=self.uri, why=reason, kids=self.kids)

    async def _fetch(self) -> list[Key]:
        _, body = await request_json(self._client(), "GET", self.uri, what="jwks_uri", timeout=self._timeout)
        if not isinstance(body, dict) or not isinstance(body.get("keys"), list):
            raise IssuerUnavailable("jwks_uri: the answer has no keys list")
        keys: list[Key] = []
        for data in body["keys"]:
            key = _import_public(data)
            if key is not None:
                keys.append(key)
        if not keys:
            raise IssuerUnavailable("jwks_uri: no usable signing key")
        return keys


def _import_public(data: Any) -> Key | None:
    """A signature-verification key from one JWKS entry; None for entries that are not one."""
    if not isinstance(data, dict) or data.get("use", "sig") != "sig" or data.get("kty") == "oct":
        return None
    try:
        key = JWKRegistry.import_key(data)
    except (JoseError, ValueError, TypeError):
        return None
    return key
