"""Helpers for the OIDC tests: users, clients, and a person filling in the hosted forms over HTTP."""

from __future__ import annotations

import base64
import hashlib
import secrets
import uuid
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx

from authshift.accounts.users import create_user
from authshift.oidc.clients import Client, ClientSpec, create_client
from authshift.state import AppState

REDIRECT_URI = "http://127.0.0.1:9/callback"
POST_LOGOUT_URI = "http://127.0.0.1:9/signed-out"


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(Form(a.get("action", ""), a.get("method", "get").lower()))
        elif tag == "input" and self.forms and a.get("name"):
            self.forms[-1].fields[a["name"]] = a.get("value", "")


def forms_of(html: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(html)
    return parser.forms


def only_form(html: str) -> Form:
    # The passkey forms (driven by static/passkeys.js, action ending "/passkey") sit beside the form
    # a person without a passkey fills in.
    found = [f for f in forms_of(html) if f.method == "post" and not f.action.endswith("/passkey")]
    assert len(found) == 1, f"expected one POST form, found {len(found)}"
    return found[0]


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    return verifier, challenge


async def new_user(state: AppState, **record: Any) -> uuid.UUID:
    async with state.engine.begin() as conn:
        return await create_user(conn, record, ctx=state.accounts, migration_state=record.pop("_state", "native"))


async def new_client(state: AppState, **spec: Any) -> tuple[Client, str | None]:
    spec.setdefault("name", "Test app")
    spec.setdefault("redirect_uris", [REDIRECT_URI])
    spec.setdefault("post_logout_redirect_uris", [POST_LOGOUT_URI])
    async with state.engine.begin() as conn:
        return await create_client(conn, ClientSpec(**spec))


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


async def follow_to_page(http: httpx.AsyncClient, url: str, *, stop_prefix: str, max_hops: int = 10) -> httpx.Response | str:
    """Follow redirects on our server; return the final page, or the URL once it leaves for ``stop_prefix``."""
    for _ in range(max_hops):
        if url.startswith(stop_prefix):
            return url
        resp = await http.get(url)
        if resp.status_code in (302, 303):
            url = urljoin(str(resp.url), resp.headers["location"])
            continue
        return resp
    raise AssertionError("too many redirects")


async def submit(http: httpx.AsyncClient, page: httpx.Response, values: dict[str, str]) -> httpx.Response:
    form = only_form(page.text)
    return await http.post(urljoin(str(page.url), form.action), data={**form.fields, **values})


async def sign_in(
    http: httpx.AsyncClient, authorize_url: str, login_id: str, password: str, *, stop_prefix: str = REDIRECT_URI,
    totp_code: str | None = None,
) -> str:
    """What a person does: open the authorize URL, fill in the login form (and the TOTP form);
    returns the URL the browser is finally sent to (the client's redirect URI with the code)."""
    page = await follow_to_page(http, authorize_url, stop_prefix=stop_prefix)
    if isinstance(page, str):
        return page
    assert page.status_code == 200, page.text
    resp = await submit(http, page, {"login_id": login_id, "password": password})
    assert resp.status_code == 303, resp.text
    location = urljoin(str(resp.url), resp.headers["location"])
    if "/login/totp" in location:
        assert totp_code is not None, "this user has TOTP"
        totp_page = await http.get(location)
        resp = await submit(http, totp_page, {"code": totp_code})
        assert resp.status_code == 303, resp.text
        location = urljoin(str(resp.url), resp.headers["location"])
    final = await follow_to_page(http, location, stop_prefix=stop_prefix)
    assert isinstance(final, str), final.text
    return final
