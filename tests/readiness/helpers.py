"""A mixed import whose users' readiness is known, and signing them in through the hosted login."""

from __future__ import annotations

import json
import urllib.parse
from urllib.parse import urljoin
from pathlib import Path
from typing import Any

import httpx

from tests.oidc.helpers import REDIRECT_URI, follow_to_page, pkce_pair, query_of, submit
from tests.support.servers import run_cli

FIREBASE = {
    "hash": "lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ==",
    "salt": "42xEC+ixf3L2lw==",
}
FIREBASE_CONFIG = {
    "base64_signer_key": "jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==",
    "base64_salt_separator": "Bw==", "rounds": 8, "mem_cost": 14,
}

# email -> (password or None, record fields, the readiness this import must give)
MIXED: dict[str, tuple[str | None, dict[str, Any], str | None]] = {
    "bcrypt@mixed.example": ("abcdefghijklmnopqrstuvwxyz",
                             {"password": {"hash": "$2a$10$fVH8e28OQRj9tqiDXs1e1uxpsjN0c7II7YPKXua2NAKYvM6iQk7dq"}}, "ready"),
    "md5crypt@mixed.example": ("U*U*U*U*", {"password": {"hash": "$1$dXc3I7Rw$ctlgjDdWJLMT.qwHsWhXR1"}}, "ready"),
    "ssha@mixed.example": ("testing123", {"password": {"hash": "{SSHA}0c0blFTXXNuAMHECS4uxrj3ZieMoWImr"}}, "ready"),
    "firebase-inline@mixed.example": ("user1password", {"password": {
        "algorithm": "firebase_scrypt", **FIREBASE, "hash_config": FIREBASE_CONFIG}}, "ready"),
    # Named by the --hash-config file of the import only: whether sign-in finds its parameters
    # decides its readiness (the test checks that readiness and sign-in agree, whichever it is).
    "firebase-file@mixed.example": ("user1password", {"password": {
        "algorithm": "firebase_scrypt", **FIREBASE, "hash_config": "proj"}}, None),
    "hex@mixed.example": ("lètmein", {"password": {"hash": "88a434c88cca4e900f7874cd98123f43"}}, "unverified"),
    "sha1salt@mixed.example": ("lètmein", {"password": {"hash": "sha1$seasalt$cff36ea83f5706ce9aa7454e63e431fc726b2dc8"}},
                               "unverified"),
    "lazy@mixed.example": ("whatever it was", {"password_migration": "lazy"}, "lazy"),
    "reset@mixed.example": ("whatever it was", {"password_migration": "reset"}, "reset"),
    "nothing@mixed.example": ("whatever it was", {}, "reset"),
}
BAD_LINE = {"email": "broken@mixed.example", "password": {"hash": "$2a$99$notarealbcrypthash"}}


def write_mixed(tmp_path: Path, *, bad: bool = True) -> tuple[Path, Path]:
    """The mixed export (and one bad record, last) and the --hash-config file it comes with."""
    users = tmp_path / "mixed.ndjson"
    lines = [json.dumps({"email": email, "given_name": "Imported", **fields}) for email, (_, fields, _) in MIXED.items()]
    if bad:
        lines.append(json.dumps(BAD_LINE))
    users.write_text("\n".join(lines) + "\n", encoding="utf-8")
    config = tmp_path / "hash-config.json"
    config.write_text(json.dumps({"proj": FIREBASE_CONFIG}))
    return users, config


def readiness_json(env: dict[str, str], *args: str) -> dict[str, Any]:
    """``authshift migration readiness --json ARGS``, the real command."""
    result = run_cli(["migration", "readiness", "--json", *args], env)
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


async def signs_in(http: httpx.AsyncClient, client_id: str, login_id: str, password: str) -> bool:
    """A person at the hosted login page (a fresh browser): True when they reach the app with a
    code that gives tokens."""
    http.cookies.clear()
    verifier, challenge = pkce_pair()
    authorize = "/oauth2/authorize?" + urllib.parse.urlencode({
        "response_type": "code", "client_id": client_id, "redirect_uri": REDIRECT_URI, "scope": "openid email",
        "state": "s", "code_challenge": challenge, "code_challenge_method": "S256",
    })
    page = await follow_to_page(http, str(http.base_url.join(authorize)), stop_prefix=REDIRECT_URI)
    assert not isinstance(page, str) and page.status_code == 200, page
    resp = await submit(http, page, {"login_id": login_id, "password": password})
    if resp.status_code != 303:
        return False
    landed = await follow_to_page(http, urljoin(str(resp.url), resp.headers["location"]), stop_prefix=REDIRECT_URI)
    if not isinstance(landed, str):
        return False
    tokens = await http.post("/oauth2/token", data={
        "grant_type": "authorization_code", "code": query_of(landed)["code"], "redirect_uri": REDIRECT_URI,
        "client_id": client_id, "code_verifier": verifier,
    })
    return tokens.status_code == 200
