"""Outbound HTTP (the legacy connector, webhook deliveries): one policy for every call out.

Clients follow no redirect (a 3xx is an answer, never a new destination) and ignore proxy
environment variables, so a request goes only to the URL that configuration or an admin gave;
bodies are read up to a limit, so a hostile or broken peer cannot fill memory.
"""

from __future__ import annotations

import httpx

__all__ = ["BodyTooLarge", "outbound_client", "post_bounded", "shorten"]


class BodyTooLarge(httpx.HTTPError):
    """The peer's answer was longer than the limit (counted as a transport failure)."""


def outbound_client(timeout_seconds: float, user_agent: str, *,
                    transport: httpx.AsyncBaseTransport | None = None) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        timeout=httpx.Timeout(timeout_seconds), follow_redirects=False, trust_env=False, transport=transport,
        headers={"user-agent": user_agent},
    )


async def post_bounded(
    client: httpx.AsyncClient, url: str, body: bytes, headers: dict[str, str], *, limit: int
) -> tuple[int, bytes]:
    """POST and return the status and at most ``limit`` bytes of the answer (``BodyTooLarge`` beyond)."""
    async with client.stream("POST", url, content=body, headers=headers) as response:
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > limit:
                raise BodyTooLarge(f"the answer is longer than {limit} bytes")
            chunks.append(chunk)
        return response.status_code, b"".join(chunks)


def shorten(content: bytes, limit: int = 200) -> str:
    """The start of an answer's body as text, for an error message."""
    text = content.decode("utf-8", "replace").strip()
    return text if len(text) <= limit else text[:limit] + "..."
