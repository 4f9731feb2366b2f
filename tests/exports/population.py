"""A population that covers every field of the record, every password format available and MFA.

Users are created through the user service (the one code path), with hashes taken from the
password registry's own examples, each with the plain password that verifies against it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from authshift import passwords
from authshift.accounts import users as svc
from authshift.state import AppState
from tests.passkeys.keys import MadePasskey, b64url

TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


@dataclass(frozen=True)
class Member:
    id: uuid.UUID
    email: str | None
    password: str | None  # the plain password that verifies, when the user has one
    format: str | None


def _full_record(i: int) -> dict[str, Any]:
    """A user with every field set."""
    return {
        "external_id": f"legacy-{i}",
        "source": "legacy-app",
        "email": f"Full.User{i}@Example.com",
        "email_verified": True,
        "phone_number": f"+4420794600{i:02d}",
        "phone_number_verified": i % 2 == 0,
        "preferred_username": f"full_user_{i}",
        "name": "Zoë Ångström", "given_name": "Zoë", "family_name": "Ångström", "middle_name": "Q",
        "nickname": "zo", "picture": "https://cdn.example.com/p/1.png", "profile": "https://example.com/zoe",
        "website": "https://zoe.example.org", "gender": "female", "birthdate": "1990-02-28", "zoneinfo": "Europe/Paris",
        "locale": "fr-FR",
        "address": {"street_address": "1 rue de la Paix", "locality": "Paris", "postal_code": "75002", "country": "FR"},
        "custom_attributes": {"plan": "team", "seats": 12, "flags": {"beta": True}, "tags": ["a", "b"], "note": ""},
        "roles": ["admin", "billing"], "groups": ["staff", "beta"],
        "disabled": True, "disabled_reason": "left the company",
        "created_at": "2020-03-04T05:06:07Z", "updated_at": "2021-01-01T00:00:00Z", "last_login_at": "2021-06-07T08:09:10Z",
        "migration_state": "migrated",
        "identities": [{"provider": "google", "subject": f"10987654321{i}", "email": f"zoe{i}@gmail.com"},
                       {"provider": "github", "subject": f"gh{i}"}],
        "mfa": {"totp": [{"secret": TOTP_SECRET, "encoding": "base32", "algorithm": "SHA1", "digits": 6, "period": 30},
                         {"secret": "GEZDGNBVGY3TQOJQ", "encoding": "base32", "algorithm": "SHA256", "digits": 8, "period": 60}],
                "email": f"mfa{i}@example.com", "phone_number": "+14155550100", "recovery_codes": ["abcd-efgh", "ijkl-mnop"],
                "webauthn": _passkeys(i)},
        "password": {"hash": passwords.hash_password("native pässword").value, "must_change": True,
                     "expire_at": "2030-01-01T00:00:00Z"},
    }


def _passkeys(i: int) -> list[dict[str, Any]]:
    """Two passkeys, the first with every field (aaguid, last use), the second with the fewest."""
    full = MadePasskey.make("unused").import_entry(sign_count=41, name=f"Zoë's phone {i}")
    full.update(aaguid="ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4", last_used_at="2024-05-06T07:08:09.123456Z",
                transports=["internal", "hybrid"])
    key = MadePasskey.make("unused")
    bare = {"credential_id": b64url(key.credential_id), "public_key": b64url(key.cose_public_key()),
            "user_handle": b64url(key.user_handle)}
    return [full, bare]


async def populate(state: AppState) -> list[Member]:
    """Every password format (one user each), two users with every field, a few plain ones."""
    members: list[Member] = []
    async with state.engine.begin() as conn:
        for i, info in enumerate(passwords.formats()):
            email = f"{info.name.replace('_', '-')}@formats.example.com"
            rec = {"email": email, "email_verified": i % 2 == 0, "external_id": f"fmt-{info.name}", "source": "formats",
                   "created_at": f"2022-01-{1 + i % 28:02d}T10:00:00Z", "updated_at": f"2023-02-{1 + i % 28:02d}T10:00:00Z",
                   "migration_state": "imported", "roles": ["user"] + (["admin"] if i % 5 == 0 else []),
                   "groups": ["formats"] + (["beta"] if i % 3 == 0 else []),
                   "password": {"hash": info.example} if isinstance(info.example, str) else dict(info.example)}
            uid = await svc.create_user(conn, rec, ctx=state.accounts, migration_state="imported")
            members.append(Member(uid, email, info.example_password, info.name))
        for i in range(2):
            rec = _full_record(i)
            uid = await svc.create_user(conn, rec, ctx=state.accounts)
            members.append(Member(uid, rec["email"], "native pässword", "argon2id"))
        for i, state_name in enumerate(("native", "native", "imported")):
            rec = {"preferred_username": f"plain{i}", "migration_state": state_name, "created_at": f"2024-0{i + 1}-15T00:00:00Z"}
            if i == 1:
                rec = {"external_id": "only-an-external-id", "created_at": "2024-02-15T00:00:00Z"}
            uid = await svc.create_user(conn, rec, ctx=state.accounts)
            members.append(Member(uid, None, None, None))
    return members
