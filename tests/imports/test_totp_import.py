"""TOTP factors import as the legacy system issued them and then verify (issue 13, short secrets),
decoded by the one decoder validation and sign-in share (issue 15)."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pyotp

from tests.imports.helpers import BCRYPT, BCRYPT_PASSWORD, run_import, write_ndjson
from tests.imports.hosted_login import signed_in_subject

SHORT = "JBSWY3DPEHPK3PXP"  # 80 bits: the Key URI format's own example
RAW_160 = bytes(range(236, 256))  # its URL-safe base64 has "-" and "_"


class LegacyTotp(pyotp.TOTP):
    """The authenticator app of a user of an older system: pyotp itself, with the 80-bit secret
    that system issued (pyotp's default floor is 112 bits)."""

    min_secret_length_bits: ClassVar[int] = 80


async def test_an_80_bit_secret_imports_and_the_user_signs_in_with_its_codes(
    app: Any, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    state = app.state.authshift
    url_safe = base64.urlsafe_b64encode(RAW_160).decode().rstrip("=")
    assert "-" in url_safe and "_" in url_safe
    path = write_ndjson(tmp_path / "users.ndjson", [
        {"email": "short@totp.example", "password": {"hash": BCRYPT}, "mfa": {"totp": [{"secret": SHORT}]}},
        {"email": "uri@totp.example", "password": {"hash": BCRYPT},
         "mfa": {"totp": [{"uri": f"otpauth://totp/Old:uri?secret={SHORT.lower()}&issuer=Old"}]}},
        {"email": "b64@totp.example", "password": {"hash": BCRYPT},
         "mfa": {"totp": [{"secret": url_safe, "encoding": "base64"}]}},
        {"email": "tiny@totp.example", "password": {"hash": BCRYPT}, "mfa": {"totp": [{"secret": "JBSWY3DP"}]}},
    ])
    summary, outcomes = await run_import(state, path)
    by_line = {o["line"]: o for o in outcomes}
    assert [by_line[n]["outcome"] for n in (1, 2, 3)] == ["inserted"] * 3, outcomes
    # A factor authshift could not verify is refused at import, with the reason (never a secret).
    assert by_line[4]["outcome"] == "failed"
    (error,) = by_line[4]["errors"]
    assert error["path"] == "mfa.totp[0]" and "40 bits" in error["message"] and "JBSWY3DP" not in str(by_line[4])

    apps = {1: ("short@totp.example", LegacyTotp(SHORT)), 2: ("uri@totp.example", LegacyTotp(SHORT)),
            3: ("b64@totp.example", pyotp.TOTP(base64.b32encode(RAW_160).decode()))}
    for line, (login_id, authenticator) in apps.items():
        sub = await signed_in_subject(client, state, login_id, BCRYPT_PASSWORD, totp_code=authenticator.now())
        assert sub == by_line[line]["user_id"]
