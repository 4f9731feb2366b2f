"""Load shedding: past ``max_queue_depth`` requests in progress, answer 503 at once.

On two cores, 128 clients hammering the token endpoint made every request wait its turn (p99
3.3 s): the server kept accepting work it could only finish late, and clients timed out anyway.
Past the configured depth a request is refused before any work is done for it (its body is not
even read), with ``Retry-After``, so the requests in progress finish at the speed the machine
has and the refused clients know when to come back. ``/healthz`` is never refused: a load
balancer must see an overloaded server as alive.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Receive, Scope, Send

RETRY_AFTER_SECONDS = 1
_EXEMPT = frozenset({"/healthz"})
_BODY = json.dumps({
    "type": "https://authshift.dev/problems/overloaded", "title": "Service unavailable", "status": 503,
    "detail": "the server is busy; retry after the number of seconds in Retry-After",
}).encode()


class ShedLoad:
    """ASGI middleware: at most ``limit`` HTTP requests in progress (0: no limit)."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit
        self.in_progress = 0
        self.refused = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.limit or scope["path"] in _EXEMPT:
            await self.app(scope, receive, send)
            return
        if self.in_progress >= self.limit:
            self.refused += 1
            await send({"type": "http.response.start", "status": 503, "headers": [
                (b"content-type", b"application/problem+json"), (b"content-length", str(len(_BODY)).encode()),
                (b"retry-after", str(RETRY_AFTER_SECONDS).encode()), (b"connection", b"close")]})
            await send({"type": "http.response.body", "body": _BODY})
            return
        self.in_progress += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_progress -= 1
