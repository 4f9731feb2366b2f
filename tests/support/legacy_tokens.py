"""A small legacy issuer of our own: an RSA key, its JWKS on a real local HTTP server, JWTs minted
at will (expired, future, wrong audience, no kid...), and a customer "hook" endpoint.

The real legacy IdP (tests/legacy/oidc_idp) covers the real sign-in flows; this one covers the
token shapes an IdP will not produce on request, and the benchmark's thousands of tokens.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

from joserfc import jwt
from joserfc.jwk import RSAKey

from authshift.security import webhook_signatures as signing

Answer = Callable[[str, bytes, dict[str, str]], tuple[int, Any]]


class JsonServer:
    """A threaded HTTP server on 127.0.0.1 answering JSON from ``answer(path, body, headers)``
    (or a page, when the answer's payload is bytes)."""

    def __init__(self, answer: Answer) -> None:
        self.requests: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _reply(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                outer.requests.append(self.path)
                status, payload = answer(self.path, body, {k.lower(): v for k, v in self.headers.items()})
                raw = isinstance(payload, bytes)  # a page (HTML) rather than JSON
                data = payload if raw else b"" if payload is None else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8" if raw else "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _reply

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread: threading.Thread | None = None

    def start(self) -> Self:
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def new_rsa_key() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"alg": "RS256", "use": "sig"}, auto_kid=True)


class LocalIssuer(JsonServer):
    """Signs JWTs with RS256 and publishes its public keys at ``{url}/jwks``."""

    def __init__(self, issuer: str = "https://legacy-tokens.example", audience: str = "https://api.legacy.example") -> None:
        super().__init__(self._answer)
        self.issuer = issuer
        self.audience = audience
        self.keys = [new_rsa_key()]
        self.jwks_uri = f"{self.url}/jwks"

    def _answer(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, Any]:
        if path == "/jwks":
            return 200, {"keys": [k.as_dict(private=False) for k in self.keys]}
        return 404, {"error": "not found"}

    @property
    def jwks_fetches(self) -> int:
        return self.requests.count("/jwks")

    def rotate(self, keep_old: bool = True) -> str:
        self.keys = [new_rsa_key(), *self.keys] if keep_old else [new_rsa_key()]
        return str(self.keys[0].kid)

    def mint(
        self, sub: str, *, ttl: int = 600, key: RSAKey | None = None, header: dict[str, Any] | None = None,
        **claims: Any,
    ) -> str:
        now = int(time.time())
        key = key or self.keys[0]
        body = {"iss": self.issuer, "sub": sub, "aud": self.audience, "iat": now, "exp": now + ttl,
                "jti": secrets.token_urlsafe(12), **claims}
        body = {k: v for k, v in body.items() if v is not None}
        return jwt.encode({"alg": "RS256", "kid": key.kid, **(header or {})}, body, key)


class HookServer(JsonServer):
    """The customer's token hook: checks the Standard Webhooks signature, then asks ``decide``.

    ``decide(token, token_type)`` returns ``(200, record)`` or ``(401, None)``; an unsigned or
    wrongly signed call is answered 401 before ``decide`` is asked.
    """

    def __init__(self, secret: str, decide: Callable[[str, str], tuple[int, Any]]) -> None:
        super().__init__(self._answer)
        self.secret = secret
        self.decide = decide
        self.bad_signatures = 0

    def _answer(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, Any]:
        try:
            signing.verify(self.secret, headers, body)
        except signing.WebhookSignatureError:
            self.bad_signatures += 1
            return 401, {"error": "bad signature"}
        request = json.loads(body)
        return self.decide(request["token"], request["token_type"])
