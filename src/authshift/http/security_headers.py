"""Security headers of the hosted pages, and HSTS on every response when the issuer is https.

The pages run no JavaScript and load their one stylesheet from ``/static``, so the policy allows
nothing but this origin: ``script-src 'self'`` with no ``'unsafe-inline'`` means an injected
``<script>`` or ``onclick=`` never runs, even if escaping failed somewhere. ``form-action`` is left
out on purpose: a signed-in form is answered with a redirect to the client application's
``redirect_uri`` (another origin), which browsers would block under ``form-action 'self'``.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
])
# One year, the value browsers' preload lists expect; subdomains are the operator's to decide.
HSTS = "max-age=31536000"


class StrictTransportSecurity:
    """Adds ``Strict-Transport-Security`` to every HTTP response (the issuer is https: the
    server is reached over TLS, usually terminated by the proxy in front of it)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_hsts(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", []) if h[0].lower() != b"strict-transport-security"]
                message = {**message, "headers": [*headers, (b"strict-transport-security", HSTS.encode())]}
            await send(message)

        await self.app(scope, receive, with_hsts)
