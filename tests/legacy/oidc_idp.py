"""The legacy OpenID provider (npm ``oidc-provider``, tests/legacy/oidc_idp/) as a test fixture helper.

    idp = LegacyIdP(tmp_path).start()
    tokens = idp.sign_in("alice@legacy.example", "alice-password", resource=JWT_RESOURCE)
    tokens["access_token"]       # an RS256 JWT, aud = JWT_RESOURCE, verifiable with idp.jwks_uri
    idp.sign_in(..., resource=OPAQUE_RESOURCE)["access_token"]   # opaque: idp.introspect(token)
    idp.rotate_keys(keep_old=False)                               # restart signing with a new kid

Tokens come from a real sign-in: the authorization code flow with PKCE, driven over HTTP through
the provider's login form, then the code exchanged at the token endpoint with ``resource=``.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import json
import os
import re
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin

import httpx
from joserfc.jwk import RSAKey

from ._processes import LegacyServer, ServerProcess, free_port

IDP_DIR = Path(__file__).resolve().parent / "oidc_idp"

JWT_RESOURCE = "https://api.legacy.example/jwt"
OPAQUE_RESOURCE = "https://api.legacy.example/opaque"
# another API of the legacy system: validly signed JWTs whose audience authshift must not accept
OTHER_JWT_RESOURCE = "https://api.other.example/jwt"
RESOURCE_SCOPE = "api:read"

DEFAULT_ACCOUNTS: tuple[dict[str, Any], ...] = (
    {"sub": "legacy-user-alice", "password": "alice-password", "email": "alice@legacy.example",
     "email_verified": True, "name": "Alice Liddell", "given_name": "Alice", "family_name": "Liddell",
     "phone_number": "+14155550101"},
    {"sub": "legacy-user-bob", "password": "bob-password", "email": "bob@legacy.example",
     "email_verified": True, "name": "Bob Builder", "given_name": "Bob", "family_name": "Builder",
     "phone_number": "+14155550102"},
    {"sub": "legacy-user-carol", "password": "carol-password", "email": "carol@legacy.example",
     "email_verified": False, "name": "Carol Danvers", "given_name": "Carol", "family_name": "Danvers",
     "phone_number": "+14155550103"},
)
_LOGIN_FORM_ACTION = re.compile(r'<form method="post" action="([^"]+)"')
DEFAULT_ACCESS_TOKEN_CLAIMS = ("email", "email_verified", "name", "given_name", "family_name", "phone_number")


class NodeUnavailable(RuntimeError):
    """Node.js or npm is not installed: the legacy IdP cannot run here."""


class SignInFailed(RuntimeError):
    """The legacy IdP refused the sign-in (wrong password, unknown user, protocol error)."""


def ensure_node_modules() -> str:
    """Install the pinned oidc-provider with ``npm ci`` once; return the path of ``node``."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        raise NodeUnavailable("node and npm are needed for the legacy IdP (oidc-provider) and are not on PATH")
    marker = IDP_DIR / "node_modules" / "oidc-provider" / "package.json"
    if marker.exists():
        return node
    lock_path = Path(tempfile.gettempdir()) / "authshift-legacy-idp-npm-ci.lock"
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # parallel test processes install once
        if not marker.exists():
            result = subprocess.run(
                [npm, "ci", "--no-audit", "--no-fund"], cwd=IDP_DIR, capture_output=True, text=True, timeout=600
            )
            if result.returncode != 0:
                raise RuntimeError(f"npm ci failed in {IDP_DIR}:\n{result.stdout}\n{result.stderr}")
    return node


def generate_signing_key() -> dict[str, Any]:
    """A fresh RS256 private JWK with its own kid (the RFC 7638 thumbprint)."""
    key = RSAKey.generate_key(2048, parameters={"alg": "RS256", "use": "sig"}, auto_kid=True)
    return dict(key.as_dict(private=True))


def _write_json(path: Path, value: Any) -> None:
    """Write atomically: the IdP re-reads some of these files while it runs."""
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(value, indent=1))
    os.replace(temporary, path)


class LegacyIdP(LegacyServer):
    """One legacy OpenID provider process with its own port, keys, accounts and token store."""

    def __init__(
        self,
        tmp_path: Path,
        *,
        accounts: Sequence[dict[str, Any]] = DEFAULT_ACCOUNTS,
        access_token_ttl: int = 600,
        short_access_token_ttl: int = 1,
        access_token_claims: Sequence[str] = DEFAULT_ACCESS_TOKEN_CLAIMS,
    ) -> None:
        self.directory = Path(tmp_path)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.authorization_endpoint = f"{self.issuer}/auth"
        self.token_endpoint = f"{self.issuer}/token"
        self.jwks_uri = f"{self.issuer}/jwks"
        self.introspection_endpoint = f"{self.issuer}/token/introspection"
        self.revocation_endpoint = f"{self.issuer}/token/revocation"
        self.userinfo_endpoint = f"{self.issuer}/me"

        self.redirect_uri = "https://app.legacy.example/callback"
        # the legacy app; its "short" twin gets access tokens that expire after short_access_token_ttl
        self.client_id, self.client_secret = "legacy-app", secrets.token_urlsafe(24)
        self.short_client_id, self.short_client_secret = "legacy-app-short-lived", secrets.token_urlsafe(24)
        # the resource-server credentials authshift uses for RFC 7662 introspection
        self.introspection_client_id = "authshift-introspector"
        self.introspection_client_secret = secrets.token_urlsafe(24)

        self.accounts: list[dict[str, Any]] = [dict(account) for account in accounts]
        self.access_token_ttl = access_token_ttl
        self.short_access_token_ttl = short_access_token_ttl
        self.access_token_claims = tuple(access_token_claims)

        self.jwks_path = self.directory / "jwks.json"
        self.accounts_path = self.directory / "accounts.json"
        self.config_path = self.directory / "config.json"
        self.store_path = self.directory / "store.jsonl"
        self._keys: list[dict[str, Any]] = [generate_signing_key()]
        self._cookie_keys = [secrets.token_urlsafe(32)]
        self._server = ServerProcess("legacy IdP (oidc-provider)", self.directory / "idp.log")

    # -- lifecycle -------------------------------------------------------------------------
    @property
    def signing_kid(self) -> str:
        """The kid of the key that signs new tokens (the first key of the JWKS file)."""
        return str(self._keys[0]["kid"])

    def _write_files(self) -> None:
        _write_json(self.jwks_path, {"keys": self._keys})
        _write_json(self.accounts_path, self.accounts)
        _write_json(
            self.config_path,
            {
                "port": self.port,
                "issuer": self.issuer,
                "jwks_path": str(self.jwks_path),
                "accounts_path": str(self.accounts_path),
                "store_path": str(self.store_path),
                "cookie_keys": self._cookie_keys,
                "clients": [
                    {"client_id": self.client_id, "client_secret": self.client_secret,
                     "redirect_uris": [self.redirect_uri], "access_token_ttl": self.access_token_ttl},
                    {"client_id": self.short_client_id, "client_secret": self.short_client_secret,
                     "redirect_uris": [self.redirect_uri], "access_token_ttl": self.short_access_token_ttl},
                ],
                "introspection_clients": [
                    {"client_id": self.introspection_client_id, "client_secret": self.introspection_client_secret}
                ],
                "resources": {
                    JWT_RESOURCE: {"format": "jwt", "scope": RESOURCE_SCOPE},
                    OPAQUE_RESOURCE: {"format": "opaque", "scope": RESOURCE_SCOPE},
                    OTHER_JWT_RESOURCE: {"format": "jwt", "scope": RESOURCE_SCOPE},
                },
                "access_token_ttl": self.access_token_ttl,
                "access_token_claims": list(self.access_token_claims),
            },
        )

    def start(self) -> LegacyIdP:
        node = ensure_node_modules()
        self._write_files()
        self._server.start(
            [node, "server.mjs", str(self.config_path)],
            cwd=IDP_DIR,
            env={"NODE_ENV": "production"},
            health_url=f"{self.issuer}/.well-known/openid-configuration",
        )
        return self

    def rotate_keys(self, keep_old: bool = True) -> str:
        """Restart signing with a new key (new kid); the old key stays published if ``keep_old``.

        Sessions, grants and opaque tokens survive (they are journaled). Returns the new kid.
        """
        new_key = generate_signing_key()
        self._keys = [new_key, *self._keys] if keep_old else [new_key]
        if self.running:
            self.restart()
        return self.signing_kid

    def add_account(self, sub: str, password: str, **claims: Any) -> dict[str, Any]:
        """Add an account (email, name, ...); the running IdP picks it up without a restart."""
        if any(account["sub"] == sub for account in self.accounts):
            raise ValueError(f"account {sub!r} exists")
        account = {"sub": sub, "password": password, **claims}
        self.accounts.append(account)
        _write_json(self.accounts_path, self.accounts)
        return account

    def account(self, sub_or_email: str) -> dict[str, Any]:
        wanted = sub_or_email.lower()
        for account in self.accounts:
            if account["sub"] == sub_or_email or str(account.get("email", "")).lower() == wanted:
                return account
        raise KeyError(sub_or_email)

    # -- signing in ------------------------------------------------------------------------
    def _client_credentials(self, short_lived: bool) -> tuple[str, str]:
        if short_lived:
            return self.short_client_id, self.short_client_secret
        return self.client_id, self.client_secret

    def sign_in(
        self,
        sub_or_email: str,
        password: str,
        resource: str | None = JWT_RESOURCE,
        scope: str = "openid email profile phone offline_access",
        *,
        short_lived: bool = False,
    ) -> dict[str, Any]:
        """Sign a user in through the login form; return the token endpoint's JSON response.

        ``resource`` selects the access token: JWT_RESOURCE (an RS256 JWT), OPAQUE_RESOURCE
        (opaque, introspectable), OTHER_JWT_RESOURCE (a JWT for another audience) or None
        (opaque, for the userinfo endpoint only).
        ``short_lived`` uses the client whose access tokens expire after short_access_token_ttl.
        Raises SignInFailed when the IdP refuses.
        """
        client_id, client_secret = self._client_credentials(short_lived)
        scopes = scope.split()
        if resource is not None and RESOURCE_SCOPE not in scopes:
            scopes.append(RESOURCE_SCOPE)
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        state, nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
        params = {
            "client_id": client_id, "redirect_uri": self.redirect_uri, "response_type": "code",
            "scope": " ".join(scopes), "state": state, "nonce": nonce, "prompt": "consent",
            "code_challenge": challenge, "code_challenge_method": "S256",
        }
        if "offline_access" not in scopes:
            del params["prompt"]
        if resource is not None:
            params["resource"] = resource
        with httpx.Client(timeout=30.0) as browser:  # a fresh browser: its own cookies
            login_page = self._browse(browser, browser.get(self.authorization_endpoint, params=params))
            action = _LOGIN_FORM_ACTION.search(login_page.text) if isinstance(login_page, httpx.Response) else None
            if action is None:
                raise SignInFailed(f"no login form at the authorization endpoint: {login_page}")
            response = browser.post(urljoin(self.issuer, action.group(1)),
                                    data={"login": sub_or_email, "password": password})
            if response.status_code == 401:
                raise SignInFailed("the legacy IdP refused the login or password")
            callback = self._browse(browser, response)
            if not isinstance(callback, httpx.URL):
                raise SignInFailed(f"no redirect back to the app: {callback.status_code} {callback.text[:300]}")
            query = parse_qs(callback.query.decode())
            if "error" in query:
                raise SignInFailed(f"authorization error: {query['error'][0]} {query.get('error_description', [''])[0]}")
            if query.get("state") != [state] or "code" not in query:
                raise SignInFailed(f"unexpected redirect: {callback}")
            form = {"grant_type": "authorization_code", "code": query["code"][0],
                    "redirect_uri": self.redirect_uri, "code_verifier": verifier}
            if resource is not None:
                form["resource"] = resource
            tokens = browser.post(self.token_endpoint, data=form, auth=(client_id, client_secret))
        if tokens.status_code != 200:
            raise SignInFailed(f"token endpoint: {tokens.status_code} {tokens.text}")
        return dict(tokens.json())

    def refresh(self, refresh_token: str, resource: str | None = JWT_RESOURCE, *, short_lived: bool = False) -> dict[str, Any]:
        """A new access token from the refresh token of a sign-in (cheaper than signing in again)."""
        auth = self._client_credentials(short_lived)
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
        if resource is not None:
            form["resource"] = resource
        response = httpx.post(self.token_endpoint, data=form, auth=auth, timeout=30.0)
        if response.status_code != 200:
            raise SignInFailed(f"token endpoint: {response.status_code} {response.text}")
        return dict(response.json())

    def _browse(self, browser: httpx.Client, response: httpx.Response) -> httpx.Response | httpx.URL:
        """Follow redirects within the IdP, as a browser would; return the page reached, or the
        URL of the first redirect that leaves the IdP (the app's callback)."""
        for _ in range(10):
            if not response.is_redirect:
                return response
            target = response.url.join(response.headers["location"])
            if not str(target).startswith(self.issuer + "/"):
                return target
            response = browser.get(target)
        raise SignInFailed("too many redirects")

    # -- token endpoints, as the resource server and the app use them ------------------------
    def introspect(self, token: str) -> dict[str, Any]:
        """RFC 7662 introspection with the resource-server credentials ({"active": false} for JWTs)."""
        response = httpx.post(
            self.introspection_endpoint, data={"token": token},
            auth=(self.introspection_client_id, self.introspection_client_secret), timeout=30.0,
        )
        response.raise_for_status()
        return dict(response.json())

    def revoke(self, token: str, *, short_lived: bool = False) -> None:
        """RFC 7009 revocation by the legacy app that got the token (as when a user signs out there)."""
        auth = self._client_credentials(short_lived)
        response = httpx.post(self.revocation_endpoint, data={"token": token}, auth=auth, timeout=30.0)
        response.raise_for_status()
