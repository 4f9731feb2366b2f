"""HTTP client for the legacy system of a rolling migration (``[migration.legacy]``).

- ``verify(login_id, password)``: POST ``{"login_id", "password"}`` to ``verify_url``; the legacy
  system answers 200 with the user's record (import format, no password), 401 (wrong password or
  inactive) or 404 (unknown). Returns the record, or ``None`` for 401/404.
- ``lookup(login_id)``: POST ``{"login_id"}`` to ``lookup_url``; 200 with the record or 404.
- ``writeback(body, message_id)``: POST an event (already serialised) to ``writeback_url``.

Every request is signed with Standard Webhooks headers (``authshift.security.webhook_signatures``), times out
after ``timeout_seconds``, follows no redirect and ignores proxy environment variables: only the
configured URLs are ever called (the settings check them at load). A per-process circuit breaker
stops calling a legacy system that keeps failing. Returned records are validated with
``parse_record``; problems are logged by field path, never with a value.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Mapping
from typing import Any

import httpx

from authshift.config import LegacySettings
from authshift.logs import get_logger
from authshift.migration.rolling.breaker import BreakerOpen, CircuitBreaker
from authshift.migration.rolling.legacy_health import CallStats
from authshift.outbound import outbound_client, post_bounded, shorten
from authshift.records import RecordError, parse_record, record_to_json
from authshift.security.webhook_signatures import signed_headers

__all__ = ["LegacyBadRecord", "LegacyClient", "LegacyError", "LegacyRejected", "LegacyUnavailable"]

log = get_logger("authshift.migration.rolling.legacy_client")

MAX_RESPONSE_BYTES = 1_000_000
# Keys a legacy record may carry that authshift decides itself.
IGNORED_RECORD_KEYS = ("id", "password", "migration_state")


class LegacyError(Exception):
    """A legacy call that did not give a usable answer. Messages never contain secrets."""


class LegacyUnavailable(LegacyError):
    """The legacy system is down, slow, broken or the breaker is open.

    ``retry_in``: seconds until the breaker lets a call through, when it refused this one.
    """

    def __init__(self, reason: str, *, retry_in: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_in = retry_in


class LegacyBadRecord(LegacyError):
    """The legacy system answered with a record authshift cannot use (field paths in ``issues``)."""

    def __init__(self, endpoint: str, issues: list[str]) -> None:
        super().__init__(f"the legacy {endpoint} endpoint returned an invalid user record: {'; '.join(issues)}")
        self.issues = issues


class LegacyRejected(LegacyError):
    """The legacy system refused one write-back message (4xx other than auth/throttling)."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"the legacy system refused the message: HTTP {status} {detail}")
        self.status = status


# Statuses that describe the message, not the health of the legacy system.
_MESSAGE_REJECTIONS = frozenset({400, 404, 409, 410, 413, 422})


class LegacyClient:
    """One per process; share it (its breaker and connection pool) between requests and workers."""

    def __init__(
        self,
        settings: LegacySettings,
        *,
        breaker: CircuitBreaker | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if settings.secret is None:
            raise ValueError("migration.legacy.secret is required")
        self.settings = settings
        self._secret = settings.secret.get_secret_value()
        self.breaker = breaker or CircuitBreaker(settings.breaker_failures, settings.breaker_reset_seconds)
        self.health = CallStats()  # recent calls, failures and latency (the console's Overview)
        self._http = outbound_client(settings.timeout_seconds, "authshift-legacy-connector", transport=transport)

    async def aclose(self) -> None:
        await self._http.aclose()

    # -- the three endpoints -----------------------------------------------------------------
    async def verify(self, login_id: str, password: str) -> dict[str, Any] | None:
        """The legacy record when the password is right; ``None`` for 401 (wrong) and 404 (unknown)."""
        status, body = await self._call("verify", self.settings.verify_url, {"login_id": login_id, "password": password},
                                        expected={200, 401, 404})
        return self._record("verify", body) if status == 200 else None

    async def lookup(self, login_id: str) -> dict[str, Any] | None:
        status, body = await self._call("lookup", self.settings.lookup_url, {"login_id": login_id}, expected={200, 404})
        return self._record("lookup", body) if status == 200 else None

    async def writeback(self, body: bytes, message_id: str) -> int:
        """Deliver one serialised event; returns the HTTP status (2xx). ``message_id`` is the
        idempotency id (``webhook-id``). Raises ``LegacyRejected`` or ``LegacyUnavailable``."""
        url = self.settings.writeback_url
        if url is None:
            raise LegacyUnavailable("no writeback_url is configured")
        status, text = await self._send("writeback", url, body, message_id, expected=None)
        if 200 <= status < 300:
            return status
        raise LegacyRejected(status, shorten(text))

    # -- plumbing ------------------------------------------------------------------------------
    async def _call(
        self, endpoint: str, url: str | None, payload: Mapping[str, Any], *, expected: set[int]
    ) -> tuple[int, bytes]:
        if url is None:
            raise LegacyUnavailable(f"no {endpoint}_url is configured")
        return await self._send(endpoint, url, json.dumps(payload).encode(), None, expected=expected)

    async def _send(
        self, endpoint: str, url: str, body: bytes, message_id: str | None, *, expected: set[int] | None
    ) -> tuple[int, bytes]:
        """POST a signed body; feeds the breaker. ``expected=None``: any 2xx or message rejection is
        a healthy answer (write-back)."""
        try:
            self.breaker.before_call()
        except BreakerOpen as refused:
            self.health.record_refused()
            retry_in = max(0.0, refused.retry_at - self.breaker.clock())
            raise LegacyUnavailable(f"the legacy system is failing; calls paused for {math.ceil(retry_in)} s",
                                    retry_in=retry_in) from None
        headers = signed_headers(self._secret, body, msg_id=message_id)
        headers["content-type"] = "application/json"
        started = time.monotonic()
        try:
            status, content = await post_bounded(self._http, url, body, headers, limit=MAX_RESPONSE_BYTES)
        except httpx.TimeoutException:
            self.health.record(False, time.monotonic() - started)
            self.breaker.failed()
            log.warning("legacy call timed out", endpoint=endpoint, timeout_seconds=self.settings.timeout_seconds)
            raise LegacyUnavailable(f"the legacy {endpoint} endpoint did not answer in time") from None
        except httpx.HTTPError as exc:
            self.health.record(False, time.monotonic() - started)
            self.breaker.failed()
            log.warning("legacy call failed", endpoint=endpoint, error=type(exc).__name__)
            raise LegacyUnavailable(f"the legacy {endpoint} endpoint cannot be reached ({type(exc).__name__})") from None
        except BaseException:
            self.breaker.released()
            raise
        healthy = status in expected if expected is not None else (200 <= status < 300 or status in _MESSAGE_REJECTIONS)
        self.health.record(healthy, time.monotonic() - started)
        if not healthy:
            self.breaker.failed()
            log.warning("legacy call answered an unexpected status", endpoint=endpoint, status=status)
            raise LegacyUnavailable(f"the legacy {endpoint} endpoint answered HTTP {status}")
        self.breaker.succeeded()
        return status, content

    def _record(self, endpoint: str, body: bytes) -> dict[str, Any]:
        try:
            obj = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError):
            log.warning("legacy record is not JSON", endpoint=endpoint)
            raise LegacyBadRecord(endpoint, ["the body is not JSON"]) from None
        if not isinstance(obj, dict):
            log.warning("legacy record is not an object", endpoint=endpoint)
            raise LegacyBadRecord(endpoint, ["the body is not a JSON object"])
        obj = {k: v for k, v in obj.items() if k not in IGNORED_RECORD_KEYS}
        try:
            parsed = parse_record(obj)
        except RecordError as exc:
            issues = [str(issue) for issue in exc.issues]
            log.warning("legacy record is invalid", endpoint=endpoint, issues=issues)
            raise LegacyBadRecord(endpoint, issues) from None
        if parsed.warnings:
            log.info("legacy record has unknown fields", endpoint=endpoint, fields=[w.path for w in parsed.warnings])
        return record_to_json(parsed.record)
